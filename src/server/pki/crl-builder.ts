/**
 * Builds X.509 v2 CRLs (RFC 5280 §5) with the same DER writer as the certificates, so a
 * development CA can revoke a client certificate and the listener's `crl` option can be tested.
 */
import { sign } from 'node:crypto';
import * as der from './der.js';
import { keyIdentifier, signatureAlgorithm, type Issuer, issuerName } from './x509-builder.js';

/** One revoked certificate: its serial number as hex (as `X509Certificate.serialNumber` gives it). */
export interface RevokedEntry {
  serialNumber: string;
  revocationDate: Date;
}

/** What goes into a CRL besides the issuer. */
export interface CrlProfile {
  revoked: RevokedEntry[];
  thisUpdate: Date;
  nextUpdate: Date;
  /** cRLNumber extension value (RFC 5280 §5.2.3), monotonically increasing per issuer. */
  crlNumber: number;
}

const OID_CRL_NUMBER = '2.5.29.20';
const OID_AUTHORITY_KEY_ID = '2.5.29.35';

/** Issues a CRL signed by `issuer`, returned as PEM. */
export function buildCrl(profile: CrlProfile, issuer: Issuer): string {
  const sigAlg = signatureAlgorithm(issuer.privateKey);
  const revoked = profile.revoked.map((r) => {
    const hex = r.serialNumber.length % 2 === 1 ? `0${r.serialNumber}` : r.serialNumber;
    return der.sequence(der.unsignedInteger(Buffer.from(hex, 'hex')), der.time(r.revocationDate));
  });
  const crlNumber = Buffer.from(profile.crlNumber.toString(16).padStart(16, '0'), 'hex');
  const extensions = der.explicit(
    0,
    der.sequence(
      der.sequence(der.oid(OID_AUTHORITY_KEY_ID), der.octetString(der.sequence(der.implicitPrimitive(0, keyIdentifier(issuer.publicKey))))),
      der.sequence(der.oid(OID_CRL_NUMBER), der.octetString(der.unsignedInteger(crlNumber))),
    ),
  );
  const tbs = der.sequence(
    der.smallInteger(1), // v2
    sigAlg,
    issuerName(issuer),
    der.time(profile.thisUpdate),
    der.time(profile.nextUpdate),
    ...(revoked.length > 0 ? [der.sequence(...revoked)] : []), // absent, not empty, when nothing is revoked
    extensions,
  );
  const crl = der.sequence(tbs, sigAlg, der.bitString(sign('sha256', tbs, issuer.privateKey)));
  const b64 = crl.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN X509 CRL-----\n${b64}\n-----END X509 CRL-----\n`;
}
