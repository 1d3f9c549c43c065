import { describe, expect, it } from 'vitest';
import { camelCaseName } from './names.js';

describe('camelCaseName (KMIP Additional Message Encodings §4.1.3)', () => {
  // Each pair: the spec's printed name and the name the OASIS XML vectors use for it.
  const cases: [string, string][] = [
    ['Request Message', 'RequestMessage'],
    ['Pre-Active', 'PreActive'],
    ['SHA-256', 'SHA_256'],
    ['3DES', 'DES3'],
    ['PKCS#1', 'PKCS_1'],
    ['PKCS#12 Certificate Link', 'PKCS_12CertificateLink'],
    ['X.509', 'X_509'],
    ['Re-key', 'ReKey'],
    ['Re-key Key Pair', 'ReKeyKeyPair'],
    ['Create Key Pair', 'CreateKeyPair'],
    ['Transparent EC Private Key', 'TransparentECPrivateKey'],
    ['HMAC-SHA256', 'HMAC_SHA256'],
    ['Dual-EC', 'Dual_EC'],
    ['P-256', 'P_256'],
    ['ANSI X9.31', 'ANSIX9_31'],
    ['Polynomial Sharing GF (2^8)', 'PolynomialSharingGF2_8'],
    ['Server Pre-Generated', 'ServerPreGenerated'],
    ['SHA-256 with RSA Encryption', 'SHA_256WithRSAEncryption'],
    ['Tape Library Client KMIP v1.0', 'TapeLibraryClientKMIPV1_0'],
    ['Suite B minLOS_128 Server KMIP v1.0', 'SuiteBMinLOS_128ServerKMIPV1_0'],
    ['Complete Server TLS v1.2 KMIP v1.2', 'CompleteServerTLSV1_2KMIPV1_2'],
    ['PKCS#11 Function', 'PKCS_11Function'],
    ['Username and Password', 'UsernameAndPassword'],
    ['On-line storage', 'OnLineStorage'],
    ['Encrypt then MAC/sign', 'EncryptThenMACSign'],
    ['C_Initialize', 'C_Initialize'],
    ['FIPS186-2', 'FIPS186_2'],
  ];
  it.each(cases)('%s -> %s', (spec, camel) => {
    expect(camelCaseName(spec)).toBe(camel);
  });

  it('moves only the leading digits of the first word', () => {
    expect(camelCaseName('3DES Key')).toBe('DES3Key');
    expect(camelCaseName('Key 3DES')).toBe('Key3DES');
  });
});
