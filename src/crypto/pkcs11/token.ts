/**
 * Slot and token helpers shared by the token setup and the provider.
 */
import pkcs11js from 'pkcs11js';
import type { Handle, PKCS11, TokenInfo } from 'pkcs11js';

import { CryptoError } from '../provider.js';
import { p11 } from './ckr.js';

/** CK_TOKEN_INFO.label is 32 bytes, blank padded (PKCS#11 v2.40 §3.2). */
export const TOKEN_LABEL_BYTES = 32;

/** Validates a token label and pads it with blanks to the fixed field width C_InitToken expects. */
export function padTokenLabel(label: string): string {
  const bytes = Buffer.byteLength(label, 'utf8');
  if (label.length === 0 || bytes > TOKEN_LABEL_BYTES) {
    throw new CryptoError('UNSUPPORTED', `token label must be 1..${TOKEN_LABEL_BYTES} UTF-8 bytes`);
  }
  // pkcs11js passes the string through as is; an unpadded label would be NUL padded instead.
  return label + ' '.repeat(TOKEN_LABEL_BYTES - bytes);
}

/** Trims the blank (and, from careless initialisers, NUL) padding off a fixed-width field. */
export function trimField(value: string): string {
  return value.replace(/[\s\0]+$/u, '');
}

/** The slot holding an initialised token with this label, and the token's info. */
export function findTokenSlot(
  mod: PKCS11,
  label: string,
  slotId?: number,
): { slot: Handle; info: TokenInfo } | undefined {
  const slots = p11('initialize', () => mod.C_GetSlotList(true));
  for (const slot of slots) {
    if (slotId !== undefined && slotNumber(slot) !== slotId) continue;
    const info = p11('initialize', () => mod.C_GetTokenInfo(slot));
    if ((info.flags & pkcs11js.CKF_TOKEN_INITIALIZED) === 0) continue;
    if (trimField(info.label) === label) return { slot, info };
  }
  return undefined;
}

/** A slot whose token is not initialised yet (SoftHSM2 always keeps one such slot). */
export function findFreeSlot(mod: PKCS11): Handle | undefined {
  const slots = p11('initialize', () => mod.C_GetSlotList(true));
  return slots.find((slot) => (p11('initialize', () => mod.C_GetTokenInfo(slot)).flags & pkcs11js.CKF_TOKEN_INITIALIZED) === 0);
}

/** CK_SLOT_ID as a number; pkcs11js hands handles around as little-endian buffers. */
export function slotNumber(slot: Handle): number {
  return slot.length >= 8 ? Number(slot.readBigUInt64LE(0)) : slot.readUInt32LE(0);
}
