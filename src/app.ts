/**
 * The composition root: builds the HSM provider, the object store and the dispatcher from the
 * configuration, and hands the server its message handler. Nothing else wires concrete classes
 * together, so a replicated store or another PKCS#11 module changes only this file.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { KmipdConfig } from './config/index.js';
import { openPkcs11Provider } from './crypto/pkcs11/provider.js';
import { ensureSoftHsmToken } from './crypto/pkcs11/softhsm.js';
import type { Pkcs11Config } from './crypto/pkcs11/config.js';
import { Dispatcher } from './dispatch/dispatcher.js';
import type { Logger } from './log.js';
import { operations } from './operations/index.js';
import { cipherStreamLimits } from './operations/crypto/cipher-streams.js';
import type { MessageHandler } from './server/types.js';
import { openLevelDbStore } from './store/leveldb/leveldb-store.js';

/** Product name and version reported by Query Server Information. */
export const SERVER_NAME = 'kmipd';
export const SERVER_VERSION = '0.1.0';

export interface App {
  readonly handler: MessageHandler;
  close(): Promise<void>;
}

/** Configured PKCS#11 module, or the embedded SoftHSM2 token under the data dir. */
async function pkcs11Config(cfg: KmipdConfig): Promise<Pkcs11Config> {
  const p = cfg.pkcs11;
  if (p.module === undefined) {
    if (p.pin !== undefined) {
      // The embedded token is created with a generated PIN kept in <dataDir>/hsm/pin; a configured
      // PIN would not match it. A PIN is for a configured module.
      throw new Error('config: pkcs11.pin (KMIPD_PKCS11_PIN) needs pkcs11.module; the embedded SoftHSM2 token uses the PIN in <dataDir>/hsm/pin');
    }
    return ensureSoftHsmToken(cfg.dataDir, p.tokenLabel === undefined ? {} : { tokenLabel: p.tokenLabel });
  }
  if (p.tokenLabel === undefined || p.pin === undefined) {
    throw new Error('config: pkcs11.module needs pkcs11.tokenLabel and pkcs11.pin (or KMIPD_PKCS11_TOKEN_LABEL / KMIPD_PKCS11_PIN)');
  }
  return { module: p.module, tokenLabel: p.tokenLabel, pin: p.pin, ...(p.slot === undefined ? {} : { slot: p.slot }) };
}

export async function createApp(cfg: KmipdConfig, log: Logger): Promise<App> {
  mkdirSync(cfg.dataDir, { recursive: true, mode: 0o700 });
  const crypto = await openPkcs11Provider(await pkcs11Config(cfg), {
    log: log.child({ component: 'hsm' }),
    exportCache: cfg.keyExportCache,
    cipherInWorker: cfg.pkcs11.cipherInWorker ?? false,
  });
  let store;
  try {
    store = await openLevelDbStore(join(cfg.dataDir, 'store'), { log: log.child({ component: 'store' }) });
  } catch (e) {
    await crypto.close();
    throw e;
  }
  // Streamed Encrypt / Decrypt hold an HSM session between requests; idle ones are abandoned.
  cipherStreamLimits.idleMs = cfg.limits.streamIdleTimeoutMs;
  const info = crypto.describe();
  log.info({ hsm: { module: info.module, token: info.tokenLabel, model: info.model } }, 'HSM and store ready');
  const dispatcher = new Dispatcher({
    store,
    crypto,
    log,
    operations,
    server: { vendorIdentification: SERVER_NAME, serverInformation: `${SERVER_NAME} ${SERVER_VERSION}` },
  });
  const opened = store;
  return {
    handler: { handle: (message, peer) => dispatcher.handle(message, peer) },
    async close() {
      await opened.close();
      await crypto.close();
    },
  };
}
