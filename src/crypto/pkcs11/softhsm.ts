/**
 * The embedded default HSM: a SoftHSM2 token kept under `<dataDir>/hsm/`.
 *
 * SoftHSM2 reads its configuration from the file named by the SOFTHSM2_CONF environment variable
 * when C_Initialize runs, and keeps it until C_Finalize. So one process uses one SoftHSM2
 * configuration at a time: ensureSoftHsmToken() sets SOFTHSM2_CONF for this process and refuses
 * a different data directory while the module is initialised. Once every provider on it is
 * closed (the last close calls C_Finalize), another data directory may be used: SoftHSM2 reads
 * SOFTHSM2_CONF again on the next C_Initialize. Tests that need two stores open at once must
 * share one token directory, or run in separate processes (vitest forks run each file apart).
 * Two processes initialising the same data directory at the same moment are not coordinated.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import pkcs11js from 'pkcs11js';
import type { PKCS11 } from 'pkcs11js';

import { CryptoError } from '../provider.js';
import { p11 } from './ckr.js';
import { acquireModule, initialisedConf } from './module.js';
import { findFreeSlot, findTokenSlot, padTokenLabel } from './token.js';
import type { Pkcs11Config } from './config.js';

/** Token label used when the caller names none. */
export const DEFAULT_TOKEN_LABEL = 'kmipd';

/** Where distributions install SoftHSM2's PKCS#11 library, most common first. */
const SOFTHSM_CANDIDATES = [
  '/usr/lib/softhsm/libsofthsm2.so',
  `/usr/lib/${process.arch === 'arm64' ? 'aarch64' : 'x86_64'}-linux-gnu/softhsm/libsofthsm2.so`,
  '/usr/lib64/pkcs11/libsofthsm2.so',
  '/usr/lib64/softhsm/libsofthsm2.so',
  '/usr/lib/pkcs11/libsofthsm2.so',
  '/usr/local/lib/softhsm/libsofthsm2.so',
  '/opt/homebrew/lib/softhsm/libsofthsm2.so',
  '/usr/local/opt/softhsm/lib/softhsm/libsofthsm2.so',
];

/**
 * Finds the SoftHSM2 library: `KMIPD_SOFTHSM_MODULE` if set, else the first existing well-known
 * path. Throws CryptoError('HSM_UNAVAILABLE') naming the paths tried.
 */
export function findSoftHsmModule(): string {
  const override = process.env['KMIPD_SOFTHSM_MODULE'];
  const candidates = override ? [override] : SOFTHSM_CANDIDATES;
  const found = candidates.find((p) => existsSync(p));
  if (!found) {
    throw new CryptoError('HSM_UNAVAILABLE', `SoftHSM2 library not found (tried ${candidates.join(', ')})`);
  }
  return found;
}

/** Contents of `<dataDir>/hsm/pin`: the PINs generated when the token was initialised. */
interface PinFile {
  readonly v: 1;
  readonly tokenLabel: string;
  readonly userPin: string;
  readonly soPin: string;
}

function readPinFile(path: string): PinFile | undefined {
  if (!existsSync(path)) return undefined;
  // Keep the file private even if someone loosened it.
  chmodSync(path, 0o600);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    throw new CryptoError('HSM_UNAVAILABLE', `PIN file ${path} is not valid JSON`);
  }
  const f = parsed as Partial<PinFile> | null;
  if (!f || f.v !== 1 || typeof f.userPin !== 'string' || typeof f.soPin !== 'string' || typeof f.tokenLabel !== 'string') {
    throw new CryptoError('HSM_UNAVAILABLE', `PIN file ${path} has an unexpected format`);
  }
  return f as PinFile;
}

function writePinFile(path: string, pins: PinFile): void {
  // Write then rename, so a crash never leaves a half-written PIN file behind.
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify(pins)}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

function softHsmConf(tokenDir: string): string {
  return [
    '# Written by kmipd: the private SoftHSM2 configuration of this data directory.',
    `directories.tokendir = ${tokenDir}`,
    'objectstore.backend = file',
    'log.level = ERROR',
    'slots.removable = false',
    'slots.mechanisms = ALL',
    'library.reset_on_fork = false',
    '',
  ].join('\n');
}

/** C_InitPIN as the SO: sets the user PIN of a freshly initialised token (PKCS#11 v2.40 §5.6). */
function initUserPin(mod: PKCS11, label: string, pins: PinFile): void {
  const found = findTokenSlot(mod, label);
  if (!found) throw new CryptoError('HSM_UNAVAILABLE', `token "${label}" vanished during initialisation`);
  const session = p11('open-session', () =>
    mod.C_OpenSession(found.slot, pkcs11js.CKF_RW_SESSION | pkcs11js.CKF_SERIAL_SESSION),
  );
  try {
    p11('login', () => mod.C_Login(session, pkcs11js.CKU_SO, pins.soPin));
    try {
      p11('init-token', () => mod.C_InitPIN(session, pins.userPin));
    } finally {
      p11('login', () => mod.C_Logout(session));
    }
  } finally {
    mod.C_CloseSession(session);
  }
}

/**
 * Makes sure `<dataDir>/hsm/` holds an initialised SoftHSM2 token with the label, and returns a
 * config to open it. The first call initialises a token on a free slot with a generated SO PIN
 * and user PIN, kept in `<dataDir>/hsm/pin` (mode 0600); later calls reuse token and PINs.
 * Sets `process.env.SOFTHSM2_CONF` for this process (see the module comment).
 */
export async function ensureSoftHsmToken(dataDir: string, opts: { tokenLabel?: string } = {}): Promise<Pkcs11Config> {
  const tokenLabel = opts.tokenLabel ?? DEFAULT_TOKEN_LABEL;
  const paddedLabel = padTokenLabel(tokenLabel);
  const module = findSoftHsmModule();
  const hsmDir = resolve(dataDir, 'hsm');
  const tokenDir = join(hsmDir, 'tokens');
  const confPath = join(hsmDir, 'softhsm2.conf');
  const pinPath = join(hsmDir, 'pin');

  const active = initialisedConf(module);
  if (active && active.conf !== confPath) {
    throw new CryptoError(
      'HSM_UNAVAILABLE',
      'SoftHSM2 is already initialised in this process with another configuration; one process uses one SoftHSM2 data directory',
    );
  }
  mkdirSync(tokenDir, { recursive: true, mode: 0o700 });
  const conf = softHsmConf(tokenDir);
  if (!existsSync(confPath) || readFileSync(confPath, 'utf8') !== conf) writeFileSync(confPath, conf, { mode: 0o600 });
  // Must be set before C_Initialize: SoftHSM2 reads it there.
  process.env['SOFTHSM2_CONF'] = confPath;

  const stored = readPinFile(pinPath);
  if (stored && stored.tokenLabel !== tokenLabel) {
    throw new CryptoError('HSM_UNAVAILABLE', `PIN file ${pinPath} belongs to token "${stored.tokenLabel}", not "${tokenLabel}"`);
  }
  const mod = acquireModule(module);
  try {
    const existing = findTokenSlot(mod.p11, tokenLabel);
    if (existing) {
      if (!stored) {
        throw new CryptoError('HSM_UNAVAILABLE', `token "${tokenLabel}" exists but its PIN file ${pinPath} is missing`);
      }
      // A crash between C_InitToken and C_InitPIN leaves a token without a user PIN: finish it.
      if ((existing.info.flags & pkcs11js.CKF_USER_PIN_INITIALIZED) === 0) initUserPin(mod.p11, tokenLabel, stored);
      return { module, tokenLabel, pin: stored.userPin };
    }
    // The PINs are written before the token exists, so a crash in between never strands a token
    // whose PINs nobody knows; the next call initialises with the stored PINs.
    const pins: PinFile = stored ?? {
      v: 1,
      tokenLabel,
      userPin: randomBytes(24).toString('base64url'),
      soPin: randomBytes(24).toString('base64url'),
    };
    if (!stored) writePinFile(pinPath, pins);
    const free = findFreeSlot(mod.p11);
    if (!free) throw new CryptoError('HSM_UNAVAILABLE', 'SoftHSM2 offers no free slot to initialise a token');
    p11('init-token', () => mod.p11.C_InitToken(free, pins.soPin, paddedLabel));
    // SoftHSM2 re-numbers the slot after C_InitToken; initUserPin looks it up again by label.
    initUserPin(mod.p11, tokenLabel, pins);
    return { module, tokenLabel, pin: pins.userPin };
  } finally {
    mod.release();
  }
}
