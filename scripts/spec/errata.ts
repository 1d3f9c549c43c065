/**
 * Corrections to what the extractor reads from the spec HTML, each with the reason. Applied
 * before merging versions so the JSON in spec/ is what the spec means, not what Word printed.
 */
import type { RawTable, Version } from './extract.js';

interface Fix {
  versions: readonly Version[] | 'all';
  table: string;
  apply(t: RawTable): void;
}

const renameValue = (from: RegExp, to: string) => (t: RawTable) => {
  for (const r of t.rows) if (from.test(r.name)) r.name = to;
};

const FIXES: Fix[] = [
  // The tables print "MFG1"; the algorithm is MGF1 (PKCS#1), as the XML vectors spell it.
  { versions: 'all', table: 'Mask Generator', apply: renameValue(/^MFG1$/, 'MGF1') },
  // KMIP 2.0 §11.9 prints "(PGP" (an editing remnant); 2.1 §11.9 prints "PGP" again.
  { versions: ['2.0'], table: 'Certificate Type', apply: renameValue(/^\(PGP$/, 'PGP') },
  // Superscripts: "GF(2^16)" in 1.x and "GF (2^16)" in 2.x are the same value; keep one spelling.
  { versions: 'all', table: 'Split Key Method', apply: renameValue(/^Polynomial Sharing GF\s*\(2\^16\)$/, 'Polynomial Sharing GF (2^16)') },
  { versions: 'all', table: 'Split Key Method', apply: renameValue(/^Polynomial Sharing GF\s*\(2\^8\)$/, 'Polynomial Sharing GF (2^8)') },
];

/** Apply the errata for one version to its extracted tables (in place) and return them. */
export function applyErrata(version: Version, tables: RawTable[]): RawTable[] {
  for (const fix of FIXES) {
    if (fix.versions !== 'all' && !fix.versions.includes(version)) continue;
    for (const t of tables) if (t.title === fix.table) fix.apply(t);
  }
  return tables;
}

/**
 * Item types the structure tables do not state in a form the extractor can read. Each reason
 * says where the type comes from. Tags whose type varies (Attribute Value, Custom Attribute,
 * Adjustment Value, Attribute Reference: Enumeration or Structure in 2.x) are left without one.
 */
export const ITEM_TYPE_OVERRIDES: Record<string, { type: string; reason: string }> = {
  'Certificate Request Unique Identifier': { type: 'TextString', reason: 'KMIP 2.0 "The Unique Identifier of the Certificate Request" (Unique Identifiers are Text Strings)' },
  'Endpoint Role': { type: 'Enumeration', reason: 'KMIP 2.0 Set Endpoint Role payload; Endpoint Role Enumeration §11.19' },
  'Adjustment Type': { type: 'Enumeration', reason: 'KMIP 2.0 Adjust Attribute payload; Adjustment Type Enumeration §11.1' },
  Ephemeral: { type: 'Boolean', reason: 'KMIP 2.0 description "... Boolean."' },
  'Server Hashed Password': { type: 'ByteString', reason: 'KMIP 2.0 Login: a hash value' },
  'PKCS#11 Interface': { type: 'TextString', reason: 'KMIP 2.0 "The name of the interface"' },
  'PKCS#11 Function': { type: 'Enumeration', reason: 'KMIP 2.0 §7.26 PKCS#11 Function' },
  'PKCS#11 Return Code': { type: 'Enumeration', reason: 'KMIP 2.0 §7.30 PKCS#11 Return Code' },
  'PKCS#11 Input Parameters': { type: 'ByteString', reason: 'KMIP 2.0 §7.27, and the PKCS11-M-1 vectors' },
  'PKCS#11 Output Parameters': { type: 'ByteString', reason: 'KMIP 2.0 §7.28, and the PKCS11-M-1 vectors' },
  'Common Protection Storage Masks': { type: 'Structure', reason: 'KMIP 2.0 Create Key Pair: holds Protection Storage Mask items' },
  'Private Protection Storage Masks': { type: 'Structure', reason: 'KMIP 2.0 Create Key Pair: holds Protection Storage Mask items' },
  'Public Protection Storage Masks': { type: 'Structure', reason: 'KMIP 2.0 Create Key Pair: holds Protection Storage Mask items' },
};

/**
 * Tags whose item type changed between versions; the generator exposes these through
 * tagItemType(tag, version) and leaves TagInfo.itemType unset for them.
 */
export const VERSIONED_ITEM_TYPES: Record<string, { v1: string; v2: string; reason: string }> = {
  'Asynchronous Indicator': {
    v1: 'Boolean',
    v2: 'Enumeration',
    reason: 'KMIP 1.x: Boolean; KMIP 2.0 turned it into the Asynchronous Indicator Enumeration (§11.3)',
  },
  'Extension Type': {
    v1: 'Integer',
    v2: 'Enumeration',
    reason: 'KMIP 1.x §2.1.9: Integer; KMIP 2.x Extension Information: Enumeration (Item Type)',
  },
};
