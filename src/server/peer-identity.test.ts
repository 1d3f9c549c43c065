import type { PeerCertificate, TLSSocket } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { peerIdentity } from './peer-identity.js';

function socketWith(cert: Partial<PeerCertificate> | Record<string, never>): TLSSocket {
  return { getPeerCertificate: () => cert, remoteAddress: '10.0.0.7' } as unknown as TLSSocket;
}
const fp = 'AB:CD';

describe('peerIdentity', () => {
  it('uses the subject CN', () => {
    const id = peerIdentity(socketWith({ subject: { O: 'Acme', CN: 'alice' } as PeerCertificate['subject'], subjectaltname: 'DNS:other', fingerprint256: fp }), 'c1');
    expect(id).toEqual({ principal: 'alice', certFingerprint256: fp, subject: 'O=Acme,CN=alice', remoteAddress: '10.0.0.7', connId: 'c1' });
  });

  it('falls back to the first subjectAltName value when there is no CN', () => {
    const id = peerIdentity(socketWith({ subject: { O: 'Acme' } as PeerCertificate['subject'], subjectaltname: 'DNS:svc.example.com, IP Address:10.1.1.1', fingerprint256: fp }), 'c2');
    expect(id?.principal).toBe('svc.example.com');
  });

  it('treats several CNs as ambiguous and falls back to the SAN', () => {
    const subject = { CN: ['a', 'b'] } as unknown as PeerCertificate['subject'];
    expect(peerIdentity(socketWith({ subject, subjectaltname: 'URI:spiffe://x/y', fingerprint256: fp }), 'c3')?.principal).toBe('spiffe://x/y');
    expect(peerIdentity(socketWith({ subject, fingerprint256: fp }), 'c3')).toBeUndefined();
  });

  it('returns undefined without a certificate', () => {
    expect(peerIdentity(socketWith({}), 'c4')).toBeUndefined();
  });
});
