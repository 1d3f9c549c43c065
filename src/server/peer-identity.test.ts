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

  it('derives the identity once per certificate (by fingerprint), the same as the full path', () => {
    let decoded = 0;
    const cert = { subject: { O: 'Acme', CN: 'carol' } as PeerCertificate['subject'], fingerprint256: '01:02:03' };
    const sock = (addr: string, fingerprint256 = '01:02:03') =>
      ({
        getPeerCertificate: () => {
          decoded++;
          return { ...cert, fingerprint256 };
        },
        getPeerX509Certificate: () => ({ fingerprint256 }),
        remoteAddress: addr,
      }) as unknown as TLSSocket;
    const first = peerIdentity(sock('10.0.0.1'), 'c5');
    const second = peerIdentity(sock('10.0.0.2'), 'c6');
    expect(decoded).toBe(1);
    expect(first).toEqual({ principal: 'carol', certFingerprint256: '01:02:03', subject: 'O=Acme,CN=carol', remoteAddress: '10.0.0.1', connId: 'c5' });
    expect(second).toEqual({ ...first, remoteAddress: '10.0.0.2', connId: 'c6' });
    // Another certificate with the same subject is another entry.
    expect(peerIdentity(sock('10.0.0.3', '09:09'), 'c7')?.certFingerprint256).toBe('09:09');
    expect(decoded).toBe(2);
  });
});
