/**
 * Python's `ssl` (Debian /usr/bin/python3, the stack PyKMIP runs on) as a client of the
 * listener with the dev PKI: certificate chain, server name (IP and DNS), PyKMIP's own TLS 1.2
 * suite, and TLS 1.2 resumption by session id (tickets off), which exercises the server cache.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/log.js';
import { startKmipServer, type KmipServer, type PeerIdentity } from '../src/server/index.js';
import { makeTestPki, type TestPki } from './helpers/pki.js';

const PYTHON = '/usr/bin/python3';

const SCRIPT = String.raw`
import json, socket, ssl, struct, sys
port, ca, cert, key = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]

def frame(body):
    body += b'\0' * (-len(body) % 8)
    return bytes([0x42, 0x00, 0x78, 0x01]) + struct.pack('>I', len(body)) + body

def context(kind):
    if kind == 'pykmip':
        from kmip.services import auth
        suite = auth.TLS12AuthenticationSuite()
        ctx = ssl.SSLContext(suite.protocol)
        ctx.set_ciphers(suite.ciphers)
    else:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.check_hostname = True
    ctx.load_verify_locations(ca)
    ctx.load_cert_chain(cert, key)
    return ctx

def roundtrip(ctx, host, session=None):
    raw = socket.create_connection(('127.0.0.1', port), timeout=10)
    with ctx.wrap_socket(raw, server_hostname=host, session=session) as s:
        msg = frame(b'python says hello')
        s.sendall(msg)
        got = b''
        while len(got) < len(msg):
            chunk = s.recv(4096)
            if not chunk:
                break
            got += chunk
        return {'host': host, 'version': s.version(), 'cipher': s.cipher()[0], 'echo': got == msg,
                'reused': s.session_reused}, s.session

out = []
for kind in ('default', 'pykmip'):
    for host in ('127.0.0.1', 'localhost'):
        r, _ = roundtrip(context(kind), host)
        r['kind'] = kind
        out.append(r)
ctx = context('default')
ctx.maximum_version = ssl.TLSVersion.TLSv1_2
ctx.options |= ssl.OP_NO_TICKET
first, session = roundtrip(ctx, 'localhost')
second, _ = roundtrip(ctx, 'localhost', session)
second['kind'] = 'resumed-by-id'
out.append(second)
print(json.dumps(out))
`;

describe.skipIf(!existsSync(PYTHON))('Python ssl client', () => {
  let pki: TestPki;
  let server: KmipServer;
  const peers: PeerIdentity[] = [];
  beforeAll(async () => {
    pki = makeTestPki({ clients: ['alice'] });
    server = await startKmipServer({
      host: '127.0.0.1',
      port: 0,
      tls: pki.serverTls,
      handler: { handle: async (m, peer) => (peers.push(peer), m) },
      log: createLogger({ level: 'silent' }),
    });
  });
  afterAll(async () => {
    await server?.close(100);
    pki?.cleanup();
  });

  it('connects with the dev certificates, verifying the server as 127.0.0.1 and localhost', async () => {
    const { cert, key } = pki.paths.clients.alice!;
    const { stdout } = await promisify(execFile)(PYTHON, ['-c', SCRIPT, String(server.address().port), pki.paths.ca.cert, cert, key], { timeout: 30_000 });
    const results = JSON.parse(stdout) as { kind: string; host: string; version: string; cipher: string; echo: boolean; reused: boolean }[];
    expect(results.map((r) => [r.kind, r.host, r.echo])).toEqual([
      ['default', '127.0.0.1', true],
      ['default', 'localhost', true],
      ['pykmip', '127.0.0.1', true],
      ['pykmip', 'localhost', true],
      ['resumed-by-id', 'localhost', true],
    ]);
    expect(results[0]!.version).toBe('TLSv1.3');
    // PyKMIP's TLS12AuthenticationSuite pins TLS 1.2 and its KMIP cipher list.
    expect(results[2]).toMatchObject({ version: 'TLSv1.2', cipher: 'ECDHE-ECDSA-AES256-GCM-SHA384' });
    expect(results[4]).toMatchObject({ version: 'TLSv1.2', reused: true });
    expect(new Set(peers.map((p) => p.principal))).toEqual(new Set(['alice']));
  });
});
