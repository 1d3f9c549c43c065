import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_LIMITS, ioThreadEnabled, loadConfig, redactedConfig } from './index.js';

const cwd = '/srv/kmipd';

function tempConfig(content: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'kmipd-cfg-'));
  const file = join(dir, 'kmipd.json');
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

describe('loadConfig', () => {
  it('has documented defaults, paths resolved against cwd', () => {
    const cfg = loadConfig({}, [], { cwd });
    expect(cfg).toEqual({
      listen: { host: '127.0.0.1', port: 5696 },
      dataDir: '/srv/kmipd/data',
      tls: { certFile: '/srv/kmipd/certs/server.crt', keyFile: '/srv/kmipd/certs/server.key', caFile: '/srv/kmipd/certs/ca.crt' },
      pkcs11: {},
      log: { level: 'info' },
      limits: { maxConnections: 1024, handshakeTimeoutMs: 10000, idleTimeoutMs: 120000, messageTimeoutMs: 30000, maxMessageBytes: DEFAULT_LIMITS.maxMessageBytes, maxBufferedBytes: 256 * 1024 * 1024, streamIdleTimeoutMs: 60000 },
      keyExportCache: { ttlMs: 1000, maxEntries: 1024 },
    });
  });

  it('sets the key export cache from the file and the environment, within its bounds', () => {
    const file = tempConfig({ keyExportCache: { ttlMs: 250, maxEntries: 10 } });
    expect(loadConfig({ KMIPD_CONFIG: file }, [], { cwd }).keyExportCache).toEqual({ ttlMs: 250, maxEntries: 10 });
    expect(loadConfig({ KMIPD_CONFIG: file, KMIPD_KEY_EXPORT_CACHE_TTL_MS: '0' }, [], { cwd }).keyExportCache).toEqual({ ttlMs: 0, maxEntries: 10 });
    expect(loadConfig({ KMIPD_KEY_EXPORT_CACHE_MAX_ENTRIES: '5' }, [], { cwd }).keyExportCache).toEqual({ ttlMs: 1000, maxEntries: 5 });
    expect(() => loadConfig({ KMIPD_KEY_EXPORT_CACHE_TTL_MS: '60001' }, [], { cwd })).toThrow(/KMIPD_KEY_EXPORT_CACHE_TTL_MS: expected an integer 0-60000/);
    expect(() => loadConfig({ KMIPD_KEY_EXPORT_CACHE_MAX_ENTRIES: '-1' }, [], { cwd })).toThrow(/KMIPD_KEY_EXPORT_CACHE_MAX_ENTRIES/);
    expect(() => loadConfig({ KMIPD_CONFIG: tempConfig({ keyExportCache: { ttl: 5 } }) }, [], { cwd })).toThrow(/unknown key "ttl"/);
    expect(() => loadConfig({ KMIPD_CONFIG: tempConfig({ keyExportCache: { maxEntries: 65537 } }) }, [], { cwd })).toThrow(/keyExportCache.maxEntries/);
  });

  it('turns the I/O thread on from the file or the environment, off by default', () => {
    expect(loadConfig({}, [], { cwd }).ioThread).toBeUndefined();
    expect(ioThreadEnabled(loadConfig({}, [], { cwd }))).toBe(false);
    const file = tempConfig({ ioThread: true });
    expect(loadConfig({ KMIPD_CONFIG: file }, [], { cwd }).ioThread).toBe(true);
    expect(ioThreadEnabled(loadConfig({ KMIPD_CONFIG: file }, [], { cwd }))).toBe(true);
    expect(ioThreadEnabled(loadConfig({ KMIPD_CONFIG: file, KMIPD_IO_THREAD: 'false' }, [], { cwd }))).toBe(false);
    expect(ioThreadEnabled(loadConfig({ KMIPD_IO_THREAD: '1' }, [], { cwd }))).toBe(true);
    expect(() => loadConfig({ KMIPD_IO_THREAD: 'auto' }, [], { cwd })).toThrow(/KMIPD_IO_THREAD: expected true or false/);
    expect(() => loadConfig({ KMIPD_CONFIG: tempConfig({ ioThread: 'yes' }) }, [], { cwd })).toThrow(/ioThread/);
  });

  it('turns the cipher worker on from the file or the environment, off by default', () => {
    expect(loadConfig({}, [], { cwd }).pkcs11.cipherInWorker).toBeUndefined();
    const file = tempConfig({ pkcs11: { cipherInWorker: true } });
    expect(loadConfig({ KMIPD_CONFIG: file }, [], { cwd }).pkcs11.cipherInWorker).toBe(true);
    expect(loadConfig({ KMIPD_CONFIG: file, KMIPD_PKCS11_CIPHER_IN_WORKER: '0' }, [], { cwd }).pkcs11.cipherInWorker).toBe(false);
    expect(loadConfig({ KMIPD_PKCS11_CIPHER_IN_WORKER: 'true' }, [], { cwd }).pkcs11.cipherInWorker).toBe(true);
    expect(() => loadConfig({ KMIPD_PKCS11_CIPHER_IN_WORKER: 'yes' }, [], { cwd })).toThrow(/KMIPD_PKCS11_CIPHER_IN_WORKER: expected true or false/);
    expect(() => loadConfig({ KMIPD_CONFIG: tempConfig({ pkcs11: { cipherInWorker: 'on' } }) }, [], { cwd })).toThrow(/pkcs11.cipherInWorker/);
  });

  it('layers file < env < argv', () => {
    const file = tempConfig({
      listen: '0.0.0.0:7000',
      dataDir: 'state',
      log: { level: 'debug' },
      tls: { certFile: '/etc/kmipd/s.crt' },
      pkcs11: { module: '/usr/lib/softhsm/libsofthsm2.so', slot: 3 },
      limits: { maxConnections: 10 },
    });
    const fromFile = loadConfig({ KMIPD_CONFIG: file }, [], { cwd });
    expect(fromFile.listen).toEqual({ host: '0.0.0.0', port: 7000 });
    expect(fromFile.dataDir).toBe(join(file, '..', 'state')); // relative to the file
    expect(fromFile.log.level).toBe('debug');
    expect(fromFile.tls.certFile).toBe('/etc/kmipd/s.crt');
    expect(fromFile.tls.keyFile).toBe('/srv/kmipd/certs/server.key');
    expect(fromFile.pkcs11).toEqual({ module: '/usr/lib/softhsm/libsofthsm2.so', slot: 3 });
    expect(fromFile.limits.maxConnections).toBe(10);
    expect(fromFile.limits.idleTimeoutMs).toBe(120000);

    const env = { KMIPD_CONFIG: file, KMIPD_LISTEN: '[::1]:5697', KMIPD_LOG_LEVEL: 'warn', KMIPD_DATA_DIR: 'd2', KMIPD_PKCS11_SLOT: '0', KMIPD_PKCS11_TOKEN_LABEL: 'kmipd', KMIPD_PKCS11_PIN: '1234' };
    const fromEnv = loadConfig(env, [], { cwd });
    expect(fromEnv.listen).toEqual({ host: '::1', port: 5697 });
    expect(fromEnv.log.level).toBe('warn');
    expect(fromEnv.dataDir).toBe('/srv/kmipd/d2');
    expect(fromEnv.pkcs11).toEqual({ module: '/usr/lib/softhsm/libsofthsm2.so', slot: 0, tokenLabel: 'kmipd', pin: '1234' });

    const fromArgv = loadConfig(env, ['--listen', 'localhost:1', '--log-level', 'error', '--data-dir', '/x'], { cwd });
    expect(fromArgv.listen).toEqual({ host: 'localhost', port: 1 });
    expect(fromArgv.log.level).toBe('error');
    expect(fromArgv.dataDir).toBe('/x');
  });

  it('takes an optional RSA server certificate, as a pair only', () => {
    const cfg = loadConfig({ KMIPD_TLS_RSA_CERT: 'c/rsa.crt', KMIPD_TLS_RSA_KEY: 'c/rsa.key' }, [], { cwd });
    expect(cfg.tls).toMatchObject({ rsaCertFile: '/srv/kmipd/c/rsa.crt', rsaKeyFile: '/srv/kmipd/c/rsa.key' });
    expect(() => loadConfig({ KMIPD_TLS_RSA_CERT: 'c/rsa.crt' }, [], { cwd })).toThrow(/set both or neither/);
    const file = tempConfig({ tls: { rsaCertFile: 'r.crt', rsaKeyFile: 'r.key' } });
    expect(loadConfig({}, ['--config', file], { cwd }).tls.rsaKeyFile).toBe(join(file, '..', 'r.key'));
  });

  it('takes an optional client CRL', () => {
    expect(loadConfig({ KMIPD_TLS_CRL: 'certs/ca.crl' }, [], { cwd }).tls.crlFile).toBe('/srv/kmipd/certs/ca.crl');
    expect(loadConfig({}, [], { cwd }).tls.crlFile).toBeUndefined();
  });

  it('--config beats KMIPD_CONFIG', () => {
    const a = tempConfig({ listen: { port: 1111 } });
    const b = tempConfig({ listen: { host: '::', port: 2222 } });
    expect(loadConfig({ KMIPD_CONFIG: a }, ['--config', b], { cwd }).listen).toEqual({ host: '::', port: 2222 });
  });

  it('treats empty environment variables as unset', () => {
    expect(loadConfig({ KMIPD_LISTEN: '', KMIPD_PKCS11_PIN: '' }, [], { cwd }).listen.port).toBe(5696);
  });

  it.each([
    [{ KMIPD_LISTEN: '127.0.0.1' }, /KMIPD_LISTEN: expected host:port/],
    [{ KMIPD_LISTEN: '::1:5696' }, /KMIPD_LISTEN: expected host:port/],
    [{ KMIPD_LISTEN: '[1.2.3.4]:5696' }, /not an IPv6 address/],
    [{ KMIPD_LISTEN: '127.0.0.1:70000' }, /port must be an integer 0-65535/],
    [{ KMIPD_LISTEN: 'bad_host!:5696' }, /not an IP address or host name/],
    [{ KMIPD_LOG_LEVEL: 'verbose' }, /KMIPD_LOG_LEVEL: log level must be one of fatal, error/],
    [{ KMIPD_PKCS11_SLOT: '-1' }, /KMIPD_PKCS11_SLOT: PKCS#11 slot must be a non-negative integer/],
  ])('rejects bad environment %o', (env, message) => {
    expect(() => loadConfig(env, [], { cwd })).toThrow(ConfigError);
    expect(() => loadConfig(env, [], { cwd })).toThrow(message);
  });

  it.each([
    ['{not json', /invalid JSON/],
    [[1, 2], /top level must be a JSON object/],
    [{ listn: 'x' }, /unknown key "listn"/],
    [{ limits: { maxConnection: 5 } }, /limits: unknown key "maxConnection"/],
    [{ limits: { idleTimeoutMs: 0 } }, /limits.idleTimeoutMs: expected a positive integer/],
    [{ limits: { maxMessageBytes: '1e9' } }, /limits.maxMessageBytes: expected a positive integer/],
    [{ listen: 5696 }, /"listen" must be "host:port" or \{ host, port \}/],
    [{ tls: 'x' }, /"tls" must be an object/],
    [{ pkcs11: { pin: 1234 } }, /pkcs11.pin: expected a non-empty string, got number/],
  ])('rejects bad config file %j', (content, message) => {
    const file = tempConfig(content);
    expect(() => loadConfig({}, ['--config', file], { cwd })).toThrow(message);
  });

  it('names a missing config file', () => {
    expect(() => loadConfig({ KMIPD_CONFIG: '/nonexistent/k.json' }, [], { cwd })).toThrow(
      'config file /nonexistent/k.json: cannot read (ENOENT)',
    );
  });

  it('rejects unknown command-line options', () => {
    expect(() => loadConfig({}, ['--port', '1'], { cwd })).toThrow(/command line: .*--port/);
  });

  it('never puts the PIN in an error message', () => {
    const file = tempConfig({ pkcs11: { pin: ['s3cr3t-pin'] } });
    expect(() => loadConfig({}, ['--config', file], { cwd })).toThrow(/^(?!.*s3cr3t-pin)/s);
  });
});

describe('PIN files', () => {
  it('reads the PIN from KMIPD_PKCS11_PIN_FILE or pkcs11.pinFile, dropping one newline', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kmipd-pin-'));
    writeFileSync(join(dir, 'pin'), '4321\n', { mode: 0o600 });
    expect(loadConfig({ KMIPD_PKCS11_PIN_FILE: join(dir, 'pin') }, [], { cwd }).pkcs11.pin).toBe('4321');
    writeFileSync(join(dir, 'kmipd.json'), JSON.stringify({ pkcs11: { pinFile: 'pin' } }));
    expect(loadConfig({}, ['--config', join(dir, 'kmipd.json')], { cwd }).pkcs11.pin).toBe('4321');
    // An explicit KMIPD_PKCS11_PIN wins over the file.
    expect(loadConfig({ KMIPD_PKCS11_PIN_FILE: join(dir, 'pin'), KMIPD_PKCS11_PIN: '9' }, [], { cwd }).pkcs11.pin).toBe('9');
  });

  it('rejects unreadable or multi-line PIN files without showing their content', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kmipd-pin-'));
    expect(() => loadConfig({ KMIPD_PKCS11_PIN_FILE: join(dir, 'missing') }, [], { cwd })).toThrow(/KMIPD_PKCS11_PIN_FILE: cannot read .* \(ENOENT\)/);
    writeFileSync(join(dir, 'two'), 'secret-a\nsecret-b\n');
    expect(() => loadConfig({ KMIPD_PKCS11_PIN_FILE: join(dir, 'two') }, [], { cwd })).toThrow(/^(?!.*secret-a).*single line/s);
  });
});

describe('redactedConfig', () => {
  it('replaces the PIN and leaves the original intact', () => {
    const cfg = loadConfig({ KMIPD_PKCS11_PIN: '98765' }, [], { cwd });
    const red = redactedConfig(cfg);
    expect(JSON.stringify(red)).not.toContain('98765');
    expect(red.pkcs11.pin).toBe('[redacted]');
    expect(cfg.pkcs11.pin).toBe('98765');
    expect(red.listen).toEqual(cfg.listen);
  });

  it('does not invent a PIN when none is set', () => {
    expect(redactedConfig(loadConfig({}, [], { cwd })).pkcs11).toEqual({});
  });
});
