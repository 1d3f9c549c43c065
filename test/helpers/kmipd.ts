/**
 * Starts a real kmipd in this process for tests and tools: the composition root (src/app.ts) with
 * SoftHSM2 and LevelDB under `dataDir`, behind the mutual-TLS server on a free loopback port.
 */
import { join } from 'node:path';
import pino from 'pino';
import { createApp } from '../../src/app.js';
import { ioThreadEnabled, loadConfig } from '../../src/config/index.js';
import { generateDevPki, startKmipServer, type KmipServer } from '../../src/server/index.js';
import { startThreadedKmipServer } from '../../src/server/threaded-server.js';
import { loadClientCerts } from './tls-client.js';

export interface TestKmipd {
  readonly port: number;
  readonly server: KmipServer;
  close(): Promise<void>;
}

/** Makes (or reuses) a dev PKI in `certDir` with the given client names. */
export function testPki(certDir: string, clients: string[] = ['alice', 'bob']): void {
  generateDevPki({ dir: certDir, clients, keyType: 'ec' });
}

let defaultEnv: Readonly<Record<string, string>> = {};

/**
 * Environment every {@link startTestKmipd} of this test file starts with (before its own `env`):
 * a file that sets it and then imports another test file runs that file's tests against a
 * differently configured server. Per test file (vitest isolates modules per file).
 */
export function useKmipdEnvByDefault(env: Readonly<Record<string, string>>): void {
  defaultEnv = env;
}

export async function startTestKmipd(opts: { dataDir: string; certDir: string; logLevel?: string; env?: Readonly<Record<string, string>> }): Promise<TestKmipd> {
  const cfg = loadConfig(
    {
      KMIPD_LISTEN: '127.0.0.1:0',
      KMIPD_DATA_DIR: opts.dataDir,
      KMIPD_TLS_CERT: join(opts.certDir, 'server.crt'),
      KMIPD_TLS_KEY: join(opts.certDir, 'server.key'),
      KMIPD_TLS_CA: join(opts.certDir, 'ca.crt'),
      ...defaultEnv,
      ...opts.env,
    },
    [],
  );
  const log = pino({ level: opts.logLevel ?? 'silent' });
  const app = await createApp(cfg, log);
  const tlsFiles = loadClientCerts(opts.certDir, 'server');
  const serverOpts = { host: '127.0.0.1', port: 0, tls: { cert: tlsFiles.cert, key: tlsFiles.key, ca: tlsFiles.ca }, handler: app.handler, log, limits: cfg.limits };
  const server = ioThreadEnabled(cfg) ? await startThreadedKmipServer(serverOpts) : await startKmipServer(serverOpts);
  return {
    port: server.address().port,
    server,
    close: async () => {
      await server.close(2000);
      await app.close();
    },
  };
}
