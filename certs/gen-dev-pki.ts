/**
 * Creates the development PKI (see certs/README.md).
 *
 *   npx tsx certs/gen-dev-pki.ts [--dir DIR] [--client NAME]... [--key-type ec|rsa] [--server-rsa] [--force]
 *   npx tsx certs/gen-dev-pki.ts [--dir DIR] --revoke NAME...   (writes DIR/ca.crl revoking exactly these)
 *
 * Without --client the clients are alice and bob. --server-rsa adds server-rsa.crt/.key (an RSA
 * server certificate for the KMIP 1.x TLS_RSA_* suites). Existing files are kept unless --force.
 */
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { generateDevPki, revokeDevClients, type DevKeyType } from '../src/server/pki/dev-pki.js';

function main(): void {
  const { values } = parseArgs({
    options: {
      dir: { type: 'string', default: dirname(fileURLToPath(import.meta.url)) },
      client: { type: 'string', multiple: true },
      'key-type': { type: 'string', default: 'ec' },
      'server-rsa': { type: 'boolean', default: false },
      revoke: { type: 'string', multiple: true },
      force: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write('usage: tsx certs/gen-dev-pki.ts [--dir DIR] [--client NAME]... [--key-type ec|rsa] [--server-rsa] [--force]\n');
    return;
  }
  if (values.revoke !== undefined) {
    const crl = revokeDevClients(values.dir, values.revoke);
    process.stdout.write(`wrote ${crl} revoking ${values.revoke.join(', ')}\n`);
    return;
  }
  const keyType = values['key-type'];
  if (keyType !== 'ec' && keyType !== 'rsa') throw new Error(`--key-type must be ec or rsa, not ${keyType}`);
  const pki = generateDevPki({
    dir: values.dir,
    clients: values.client,
    force: values.force,
    keyType: keyType as DevKeyType,
    serverRsa: values['server-rsa'],
  });
  const kept = pki.written.length === 0 ? ' (all files already present; --force to re-create)' : '';
  process.stdout.write(`dev PKI in ${pki.dir}${kept}\n`);
  for (const p of pki.written) process.stdout.write(`  wrote ${p}\n`);
}

try {
  main();
} catch (err) {
  process.stderr.write(`gen-dev-pki: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
