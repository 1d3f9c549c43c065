/**
 * A SoftHSM2 token in a temp dir and a PKCS#11 provider on it for the tests of one file: made
 * before the file's tests, closed and removed after them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import type { Pkcs11Config } from '../../src/crypto/pkcs11/config.js';
import { openPkcs11Provider, type Pkcs11CryptoProvider } from '../../src/crypto/pkcs11/provider.js';
import { ensureSoftHsmToken } from '../../src/crypto/pkcs11/softhsm.js';

export interface SoftHsmProviderFixture {
  /** The token's configuration (module, label, PIN), to open more providers on it. */
  readonly cfg: Pkcs11Config;
  readonly hsm: Pkcs11CryptoProvider;
}

/** `prefix` names the temp dir; `open` opens the provider (default: openPkcs11Provider(cfg)). */
export function useSoftHsmProvider(prefix: string, open: (cfg: Pkcs11Config) => Promise<Pkcs11CryptoProvider> = (cfg) => openPkcs11Provider(cfg)): SoftHsmProviderFixture {
  const dataDir = mkdtempSync(join(tmpdir(), prefix));
  let cfg: Pkcs11Config | undefined;
  let hsm: Pkcs11CryptoProvider | undefined;
  beforeAll(async () => {
    cfg = await ensureSoftHsmToken(dataDir);
    hsm = await open(cfg);
  });
  afterAll(async () => {
    await hsm?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  const ready = <T>(v: T | undefined): T => {
    if (v === undefined) throw new Error('useSoftHsmProvider: not open yet (use it inside tests)');
    return v;
  };
  return {
    get cfg() {
      return ready(cfg);
    },
    get hsm() {
      return ready(hsm);
    },
  };
}
