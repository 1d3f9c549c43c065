/**
 * `npm start`: the kmipd server process.
 *
 *   node dist/cli/start.js [--config FILE] [--listen HOST:PORT] [--data-dir DIR] [--log-level LEVEL]
 *   (`npm start` builds dist/ first; `npm run start:dev` runs this file through tsx instead)
 *
 * Loads the configuration, creates the development PKI when the default certificate files are
 * missing, builds the application (HSM, store, dispatcher) and starts the mutual-TLS listener.
 * SIGTERM / SIGINT shut down gracefully (exit 0); SIGHUP re-reads the TLS certificate, key and
 * CA files (rotation without dropping connections); a start-up failure logs one fatal line and
 * exits 1.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createApp } from '../app.js';
import { ConfigError, defaultTlsFiles, ioThreadEnabled, loadConfig, redactedConfig, type KmipdConfig } from '../config/index.js';
import { createLogger, type Logger } from '../log.js';
import { generateDevPki } from '../server/pki/dev-pki.js';
import { startKmipServer, type KmipServer, type ServerTlsMaterial } from '../server/index.js';
import { startThreadedKmipServer } from '../server/threaded-server.js';

/** How long shutdown waits for requests in progress before cutting connections. */
export const SHUTDOWN_GRACE_MS = 10_000;

/** A started server and the way to stop it. */
export interface RunningKmipd {
  cfg: KmipdConfig;
  server: KmipServer;
  /** Graceful stop: listener first (in-flight requests finish), then the application. */
  stop(graceMs?: number): Promise<void>;
  /** Re-reads the configured TLS files for new connections; throws (keeping the old ones) if they do not load. */
  reloadTls(): void;
}

/** Server certificate(s), key(s), client CA and CRL as the listener wants them. */
function readTls(tls: KmipdConfig['tls']): ServerTlsMaterial {
  const trust = { ca: readFileSync(tls.caFile), ...(tls.crlFile === undefined ? {} : { crl: readFileSync(tls.crlFile) }) };
  if (tls.rsaCertFile === undefined || tls.rsaKeyFile === undefined) {
    return { cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile), ...trust };
  }
  return {
    cert: [readFileSync(tls.certFile), readFileSync(tls.rsaCertFile)],
    key: [readFileSync(tls.keyFile), readFileSync(tls.rsaKeyFile)],
    ...trust,
  };
}

/**
 * Makes sure the TLS files exist and returns the ones to serve. Only the default locations get
 * a generated dev PKI (with an extra RSA server certificate for the KMIP 1.x TLS_RSA_* suites,
 * used when present): a missing file at a path the operator chose is a configuration error,
 * not something to paper over.
 */
function ensureTlsFiles(cfg: KmipdConfig, cwd: string, log: Logger): KmipdConfig['tls'] {
  const defaults = defaultTlsFiles(cwd);
  const isDefault = cfg.tls.certFile === defaults.certFile && cfg.tls.keyFile === defaults.keyFile && cfg.tls.caFile === defaults.caFile;
  const files = [cfg.tls.certFile, cfg.tls.keyFile, cfg.tls.caFile, cfg.tls.rsaCertFile, cfg.tls.rsaKeyFile, cfg.tls.crlFile];
  const missing = files.filter((f): f is string => f !== undefined && !existsSync(f));
  if (missing.length > 0 && !isDefault) throw new ConfigError(`TLS file(s) not found: ${missing.join(', ')}`);
  if (!isDefault) return cfg.tls;
  const dir = dirname(defaults.certFile);
  if (missing.length > 0) {
    const pki = generateDevPki({ dir, serverRsa: true });
    log.warn({ dir: pki.dir, written: pki.written.length, clients: Object.keys(pki.clients) }, 'created a development PKI (self-signed CA); do not use it in production');
  }
  const rsa = { rsaCertFile: join(dir, 'server-rsa.crt'), rsaKeyFile: join(dir, 'server-rsa.key') };
  if (cfg.tls.rsaCertFile === undefined && existsSync(rsa.rsaCertFile) && existsSync(rsa.rsaKeyFile)) {
    log.info(rsa, 'development PKI: also serving the RSA server certificate');
    return { ...cfg.tls, ...rsa };
  }
  return cfg.tls;
}

/** Starts kmipd with an existing logger; the caller owns signals and exit codes. */
export async function startKmipd(cfg: KmipdConfig, log: Logger, cwd = process.cwd()): Promise<RunningKmipd> {
  log.info({ config: redactedConfig(cfg), pid: process.pid, node: process.version }, 'starting kmipd');
  const tlsFiles = ensureTlsFiles(cfg, cwd, log);
  const tls = readTls(tlsFiles);
  const app = await createApp(cfg, log);
  let server: KmipServer;
  try {
    const serverOpts = { host: cfg.listen.host, port: cfg.listen.port, tls, handler: app.handler, log, limits: cfg.limits };
    server = ioThreadEnabled(cfg) ? await startThreadedKmipServer(serverOpts) : await startKmipServer(serverOpts);
  } catch (err) {
    await app.close();
    throw err;
  }
  let stopping: Promise<void> | undefined;
  return {
    cfg,
    server,
    reloadTls: () => server.reloadTls(readTls(tlsFiles)),
    stop: (graceMs = SHUTDOWN_GRACE_MS) =>
      (stopping ??= (async () => {
        await server.close(graceMs);
        await app.close();
      })()),
  };
}

/** One-line message for a start-up failure: configuration and OS errors need no stack. */
function describeStartError(err: unknown): { msg: string; err?: unknown } {
  if (err instanceof ConfigError) return { msg: `kmipd: invalid configuration: ${err.message}` };
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
    return { msg: `kmipd: cannot listen: ${(err as Error).message}` };
  }
  return { msg: `kmipd: cannot start: ${err instanceof Error ? err.message : String(err)}`, err };
}

/** Let the event loop drain so log lines are flushed, but never hang on a stray handle. */
function exitSoon(code: number): void {
  process.exitCode = code;
  setTimeout(() => process.exit(code), 2_000).unref();
}

async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<void> {
  let log: Logger | undefined;
  let running: RunningKmipd | undefined;
  try {
    const cfg = loadConfig(env, argv);
    log = createLogger({ level: cfg.log.level });
    running = await startKmipd(cfg, log);
  } catch (err) {
    const { msg, err: detail } = describeStartError(err);
    (log ?? createLogger({ level: 'info' })).fatal(detail === undefined ? {} : { err: detail }, msg);
    exitSoon(1);
    return;
  }
  const rootLog = log;
  const stop = running.stop;
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (++signals > 1) {
      rootLog.warn({ signal }, 'second signal: exiting without waiting');
      process.exit(1);
    }
    rootLog.info({ signal, graceMs: SHUTDOWN_GRACE_MS }, 'shutting down');
    stop().then(
      () => {
        rootLog.info('kmipd stopped');
        exitSoon(0);
      },
      (err: unknown) => {
        rootLog.error({ err }, 'error during shutdown');
        exitSoon(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  const reload = running.reloadTls;
  process.on('SIGHUP', () => {
    try {
      reload();
    } catch (err) {
      rootLog.error({ err }, 'TLS reload failed; keeping the previous certificate');
    }
  });
  // A bug outside a request (requests are contained per connection) leaves unknown state:
  // log it and exit non-zero so a supervisor restarts a clean process.
  process.on('uncaughtException', (err) => {
    rootLog.fatal({ err }, 'uncaught exception; exiting');
    exitSoon(1);
    void stop().catch(() => undefined);
  });
  process.on('unhandledRejection', (reason) => {
    rootLog.fatal({ err: reason }, 'unhandled promise rejection; exiting');
    exitSoon(1);
    void stop().catch(() => undefined);
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await main(process.argv.slice(2), process.env);
}
