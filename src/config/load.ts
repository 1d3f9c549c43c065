/**
 * Loads the configuration: built-in defaults, then a JSON config file (`--config` or
 * `KMIPD_CONFIG`), then `KMIPD_*` environment variables, then command-line options. Later
 * sources win. Everything is validated; the first problem throws a {@link ConfigError}.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { MAX_MESSAGE_BYTES } from '../ttlv/limits.js';
import {
  ConfigError,
  parseBoolean,
  parseHost,
  parseListen,
  parseLogLevel,
  parseNonEmptyString,
  parseNonNegativeInt,
  parsePort,
  parsePositiveInt,
  parseSlot,
} from './parse.js';
import type { KeyExportCacheConfig, KmipdConfig, LimitsConfig } from './types.js';

/** The IANA-assigned KMIP port (KMIP Profiles §3.1.4). */
export const KMIP_PORT = 5696;

/** Default limits; see {@link LimitsConfig} for what each one bounds. */
export const DEFAULT_LIMITS: Readonly<LimitsConfig> = Object.freeze({
  maxConnections: 1024,
  handshakeTimeoutMs: 10_000,
  idleTimeoutMs: 120_000,
  messageTimeoutMs: 30_000,
  maxMessageBytes: MAX_MESSAGE_BYTES,
  maxBufferedBytes: 256 * 1024 * 1024,
  streamIdleTimeoutMs: 60_000,
});

/**
 * Default key export cache: on, 1 s, 1024 keys. Why on: it only memoises "this wrapped blob ->
 * its value" for keys an entitled client has just been given by Get (every Get still runs all
 * its checks on the freshly loaded object, and any write of the object drops the entry), and a
 * Get already leaves copies of the value in response and TLS buffers that are not zeroed and live
 * until the garbage collector reuses them, often longer than a second; the cache zeroes its copy
 * on expiry. So one second adds little exposure, while a client fetching one key repeatedly skips
 * the HSM round trip that is the largest cost of a Get. Why short: to bound that exposure, how
 * long a value survives the HSM being withdrawn (logout, master key removed), and, with several
 * nodes later, how long one node can miss another's write. Set ttlMs 0 to disable.
 */
export const DEFAULT_KEY_EXPORT_CACHE: Readonly<KeyExportCacheConfig> = Object.freeze({ ttlMs: 1_000, maxEntries: 1_024 });
/** Bounds of the key export cache settings (the same as src/crypto/pkcs11/export-cache.ts enforces). */
const MAX_EXPORT_CACHE_TTL_MS = 60_000;
const MAX_EXPORT_CACHE_ENTRIES = 65_536;

/**
 * Whether the listener runs on its own I/O thread: only when configured. On the 2-CPU machine
 * kmipd is measured on, the hand-off between threads cost more than it saved, with or without a
 * storm of TLS handshakes (BENCHMARKS.md, "Listener on an I/O thread"); it is there for machines
 * with cores to spare, to be measured there before it becomes a default.
 */
export function ioThreadEnabled(cfg: Pick<KmipdConfig, 'ioThread'>): boolean {
  return cfg.ioThread ?? false;
}

/** The default TLS file locations, relative to `cwd`: the dev PKI made by `certs/gen-dev-pki.ts`. */
export function defaultTlsFiles(cwd: string): KmipdConfig['tls'] {
  return {
    certFile: resolve(cwd, 'certs/server.crt'),
    keyFile: resolve(cwd, 'certs/server.key'),
    caFile: resolve(cwd, 'certs/ca.crt'),
  };
}

function defaults(cwd: string): KmipdConfig {
  return {
    listen: { host: '127.0.0.1', port: KMIP_PORT },
    dataDir: resolve(cwd, 'data'),
    tls: defaultTlsFiles(cwd),
    pkcs11: {},
    log: { level: 'info' },
    limits: { ...DEFAULT_LIMITS },
    keyExportCache: { ...DEFAULT_KEY_EXPORT_CACHE },
  };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Rejects keys we do not know, so a typo in the file is an error rather than a silent default. */
function checkKeys(obj: Record<string, unknown>, allowed: readonly string[], where: string): void {
  for (const k of Object.keys(obj)) {
    if (!allowed.includes(k)) throw new ConfigError(`${where}: unknown key "${k}" (allowed: ${allowed.join(', ')})`);
  }
}

function section(obj: Record<string, unknown>, key: string, allowed: readonly string[], where: string): Record<string, unknown> | undefined {
  const v = obj[key];
  if (v === undefined) return undefined;
  if (!isObject(v)) throw new ConfigError(`${where}: "${key}" must be an object`);
  checkKeys(v, allowed, `${where} ${key}`);
  return v;
}

/** Applies a parsed JSON config file onto `cfg`; relative paths are relative to the file's directory. */
function applyFile(cfg: KmipdConfig, file: string): void {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    const why = err instanceof SyntaxError ? `invalid JSON (${err.message})` : `cannot read (${(err as NodeJS.ErrnoException).code ?? 'error'})`;
    throw new ConfigError(`config file ${file}: ${why}`);
  }
  const where = `config file ${file}`;
  if (!isObject(raw)) throw new ConfigError(`${where}: top level must be a JSON object`);
  checkKeys(raw, ['listen', 'ioThread', 'dataDir', 'tls', 'pkcs11', 'log', 'limits', 'keyExportCache'], where);
  const base = dirname(file);
  const path = (v: unknown, key: string): string => resolve(base, parseNonEmptyString(v, `${where} ${key}`));

  if (typeof raw.listen === 'string') cfg.listen = parseListen(raw.listen, `${where} listen`);
  else if (isObject(raw.listen)) {
    checkKeys(raw.listen, ['host', 'port'], `${where} listen`);
    if (raw.listen.host !== undefined) cfg.listen.host = parseHost(parseNonEmptyString(raw.listen.host, `${where} listen.host`), `${where} listen.host`);
    if (raw.listen.port !== undefined) cfg.listen.port = parsePort(raw.listen.port, `${where} listen.port`);
  } else if (raw.listen !== undefined) throw new ConfigError(`${where}: "listen" must be "host:port" or { host, port }`);

  if (raw.ioThread !== undefined) cfg.ioThread = parseBoolean(raw.ioThread, `${where} ioThread`);
  if (raw.dataDir !== undefined) cfg.dataDir = path(raw.dataDir, 'dataDir');

  const tls = section(raw, 'tls', ['certFile', 'keyFile', 'caFile', 'rsaCertFile', 'rsaKeyFile', 'crlFile'], where);
  if (tls?.certFile !== undefined) cfg.tls.certFile = path(tls.certFile, 'tls.certFile');
  if (tls?.keyFile !== undefined) cfg.tls.keyFile = path(tls.keyFile, 'tls.keyFile');
  if (tls?.caFile !== undefined) cfg.tls.caFile = path(tls.caFile, 'tls.caFile');
  if (tls?.rsaCertFile !== undefined) cfg.tls.rsaCertFile = path(tls.rsaCertFile, 'tls.rsaCertFile');
  if (tls?.rsaKeyFile !== undefined) cfg.tls.rsaKeyFile = path(tls.rsaKeyFile, 'tls.rsaKeyFile');
  if (tls?.crlFile !== undefined) cfg.tls.crlFile = path(tls.crlFile, 'tls.crlFile');

  const p11 = section(raw, 'pkcs11', ['module', 'tokenLabel', 'slot', 'pin', 'pinFile', 'cipherInWorker'], where);
  if (p11?.cipherInWorker !== undefined) cfg.pkcs11.cipherInWorker = parseBoolean(p11.cipherInWorker, `${where} pkcs11.cipherInWorker`);
  if (p11?.module !== undefined) cfg.pkcs11.module = path(p11.module, 'pkcs11.module');
  if (p11?.tokenLabel !== undefined) cfg.pkcs11.tokenLabel = parseNonEmptyString(p11.tokenLabel, `${where} pkcs11.tokenLabel`);
  if (p11?.slot !== undefined) cfg.pkcs11.slot = parseSlot(p11.slot, `${where} pkcs11.slot`);
  if (p11?.pin !== undefined) cfg.pkcs11.pin = parseNonEmptyString(p11.pin, `${where} pkcs11.pin`);
  if (p11?.pinFile !== undefined) cfg.pkcs11.pin = readPinFile(path(p11.pinFile, 'pkcs11.pinFile'), `${where} pkcs11.pinFile`);

  const log = section(raw, 'log', ['level'], where);
  if (log?.level !== undefined) cfg.log.level = parseLogLevel(log.level, `${where} log.level`);

  const limits = section(raw, 'limits', Object.keys(DEFAULT_LIMITS), where);
  for (const [k, v] of Object.entries(limits ?? {})) {
    cfg.limits[k as keyof LimitsConfig] = parsePositiveInt(v, `${where} limits.${k}`);
  }

  const kec = section(raw, 'keyExportCache', ['ttlMs', 'maxEntries'], where);
  if (kec?.ttlMs !== undefined) cfg.keyExportCache.ttlMs = parseNonNegativeInt(kec.ttlMs, `${where} keyExportCache.ttlMs`, MAX_EXPORT_CACHE_TTL_MS);
  if (kec?.maxEntries !== undefined) {
    cfg.keyExportCache.maxEntries = parseNonNegativeInt(kec.maxEntries, `${where} keyExportCache.maxEntries`, MAX_EXPORT_CACHE_ENTRIES);
  }
}

/** Reads a variable; empty counts as unset so `KMIPD_X=` in a unit file does not mean "". */
function envVar(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v === '' ? undefined : v;
}

function applyEnv(cfg: KmipdConfig, env: NodeJS.ProcessEnv, cwd: string): void {
  const listen = envVar(env, 'KMIPD_LISTEN');
  if (listen !== undefined) cfg.listen = parseListen(listen, 'KMIPD_LISTEN');
  const ioThread = envVar(env, 'KMIPD_IO_THREAD');
  if (ioThread !== undefined) cfg.ioThread = parseBoolean(ioThread, 'KMIPD_IO_THREAD');
  const dataDir = envVar(env, 'KMIPD_DATA_DIR');
  if (dataDir !== undefined) cfg.dataDir = resolve(cwd, dataDir);
  const level = envVar(env, 'KMIPD_LOG_LEVEL');
  if (level !== undefined) cfg.log.level = parseLogLevel(level, 'KMIPD_LOG_LEVEL');
  const cert = envVar(env, 'KMIPD_TLS_CERT');
  if (cert !== undefined) cfg.tls.certFile = resolve(cwd, cert);
  const key = envVar(env, 'KMIPD_TLS_KEY');
  if (key !== undefined) cfg.tls.keyFile = resolve(cwd, key);
  const ca = envVar(env, 'KMIPD_TLS_CA');
  if (ca !== undefined) cfg.tls.caFile = resolve(cwd, ca);
  const rsaCert = envVar(env, 'KMIPD_TLS_RSA_CERT');
  if (rsaCert !== undefined) cfg.tls.rsaCertFile = resolve(cwd, rsaCert);
  const rsaKey = envVar(env, 'KMIPD_TLS_RSA_KEY');
  if (rsaKey !== undefined) cfg.tls.rsaKeyFile = resolve(cwd, rsaKey);
  const crl = envVar(env, 'KMIPD_TLS_CRL');
  if (crl !== undefined) cfg.tls.crlFile = resolve(cwd, crl);
  const mod = envVar(env, 'KMIPD_PKCS11_MODULE');
  if (mod !== undefined) cfg.pkcs11.module = resolve(cwd, mod);
  const label = envVar(env, 'KMIPD_PKCS11_TOKEN_LABEL');
  if (label !== undefined) cfg.pkcs11.tokenLabel = label;
  const slot = envVar(env, 'KMIPD_PKCS11_SLOT');
  if (slot !== undefined) cfg.pkcs11.slot = parseSlot(slot, 'KMIPD_PKCS11_SLOT');
  const pinFile = envVar(env, 'KMIPD_PKCS11_PIN_FILE');
  if (pinFile !== undefined) cfg.pkcs11.pin = readPinFile(resolve(cwd, pinFile), 'KMIPD_PKCS11_PIN_FILE');
  const pin = envVar(env, 'KMIPD_PKCS11_PIN');
  if (pin !== undefined) cfg.pkcs11.pin = pin;
  const inWorker = envVar(env, 'KMIPD_PKCS11_CIPHER_IN_WORKER');
  if (inWorker !== undefined) cfg.pkcs11.cipherInWorker = parseBoolean(inWorker, 'KMIPD_PKCS11_CIPHER_IN_WORKER');
  const streamIdle = envVar(env, 'KMIPD_STREAM_IDLE_TIMEOUT_MS');
  if (streamIdle !== undefined) cfg.limits.streamIdleTimeoutMs = parsePositiveInt(streamIdle, 'KMIPD_STREAM_IDLE_TIMEOUT_MS');
  const ttl = envVar(env, 'KMIPD_KEY_EXPORT_CACHE_TTL_MS');
  if (ttl !== undefined) cfg.keyExportCache.ttlMs = parseNonNegativeInt(ttl, 'KMIPD_KEY_EXPORT_CACHE_TTL_MS', MAX_EXPORT_CACHE_TTL_MS);
  const entries = envVar(env, 'KMIPD_KEY_EXPORT_CACHE_MAX_ENTRIES');
  if (entries !== undefined) {
    cfg.keyExportCache.maxEntries = parseNonNegativeInt(entries, 'KMIPD_KEY_EXPORT_CACHE_MAX_ENTRIES', MAX_EXPORT_CACHE_ENTRIES);
  }
}

/**
 * Reads a PIN from a file (a Docker/Kubernetes secret, or a 0600 file), so it need not sit in
 * the environment where child processes and /proc/<pid>/environ expose it. One trailing
 * newline is dropped. The content never appears in an error.
 */
function readPinFile(file: string, source: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`${source}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const pin = text.replace(/\r?\n$/, '');
  if (pin === '' || /[\r\n]/.test(pin)) throw new ConfigError(`${source}: ${file} must hold the PIN on a single line`);
  return pin;
}

/** Options for {@link loadConfig} beyond env and argv. */
export interface LoadConfigOptions {
  /** Base for relative paths outside the config file. Default `process.cwd()`. */
  cwd?: string;
}

/**
 * Builds the configuration. `argv` are the command's own arguments (no `node`/script), and
 * may hold `--config FILE`, `--listen HOST:PORT`, `--data-dir DIR`, `--log-level LEVEL`.
 * @throws ConfigError naming the offending source and value (never a PIN).
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, argv: string[] = [], opts: LoadConfigOptions = {}): KmipdConfig {
  const cwd = opts.cwd ?? process.cwd();
  let args: { config?: string; listen?: string; 'data-dir'?: string; 'log-level'?: string };
  try {
    args = parseArgs({
      args: argv,
      options: {
        config: { type: 'string' },
        listen: { type: 'string' },
        'data-dir': { type: 'string' },
        'log-level': { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (err) {
    throw new ConfigError(`command line: ${(err as Error).message}`);
  }
  const cfg = defaults(cwd);
  const file = args.config ?? envVar(env, 'KMIPD_CONFIG');
  if (file !== undefined) applyFile(cfg, resolve(cwd, file));
  applyEnv(cfg, env, cwd);
  if (args.listen !== undefined) cfg.listen = parseListen(args.listen, '--listen');
  if (args['data-dir'] !== undefined) cfg.dataDir = resolve(cwd, parseNonEmptyString(args['data-dir'], '--data-dir'));
  if (args['log-level'] !== undefined) cfg.log.level = parseLogLevel(args['log-level'], '--log-level');
  if ((cfg.tls.rsaCertFile === undefined) !== (cfg.tls.rsaKeyFile === undefined)) {
    throw new ConfigError('tls: rsaCertFile and rsaKeyFile (KMIPD_TLS_RSA_CERT / KMIPD_TLS_RSA_KEY) go together; set both or neither');
  }
  return cfg;
}

/** The configuration with secrets replaced, safe to log. */
export function redactedConfig(cfg: KmipdConfig): KmipdConfig {
  return {
    ...cfg,
    listen: { ...cfg.listen },
    tls: { ...cfg.tls },
    log: { ...cfg.log },
    limits: { ...cfg.limits },
    keyExportCache: { ...cfg.keyExportCache },
    pkcs11: { ...cfg.pkcs11, ...(cfg.pkcs11.pin !== undefined ? { pin: '[redacted]' } : {}) },
  };
}
