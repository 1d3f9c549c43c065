/**
 * audit-verify: checks the hash chain of a server's audit log offline.
 *
 *   tsx src/cli/audit-verify.ts --data-dir DIR
 *
 * Opens `<DIR>/store` without writing to it (the audit head is not repaired), verifies every
 * record in order and compares the end of the chain with the stored audit head.
 * Prints `OK <count> records, head <hash>` and exits 0, or `FAIL seq <n>: <reason>` and exits 1.
 * An AuditHeadRepair record (sealed by the server when it found its audit head disagreeing with
 * the records: records were removed or added outside it) also fails, until an operator who has
 * investigated acknowledges it with `--accept-repair <seq>`.
 * Exits 2 when the store cannot be opened (e.g. the server holds its lock: stop it first).
 */
import { Command } from 'commander';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { verifyAuditChain, type AuditVerification } from '../audit/chain.js';
import { openLevelDbStore } from '../store/leveldb/leveldb-store.js';

/** Verifies the audit chain of the store under `dataDir`. */
export async function verifyDataDir(dataDir: string): Promise<AuditVerification> {
  const store = await openLevelDbStore(path.join(dataDir, 'store'), { repairAuditHead: false, createIfMissing: false });
  try {
    return await verifyAuditChain(store.auditRecords(), { expectedHead: store.openCheck.stored ?? { seq: 0, hash: '' } });
  } finally {
    await store.close();
  }
}

async function main(argv: readonly string[]): Promise<number> {
  const program = new Command()
    .name('audit-verify')
    .description('Verify the hash-chained audit log of a kmipd data directory.')
    .requiredOption('--data-dir <dir>', 'the server data directory (the store is <dir>/store)')
    .option('--accept-repair <seq...>', 'audit head repairs already investigated (by seq)')
    .exitOverride();
  try {
    program.parse(argv);
  } catch (err) {
    return (err as { exitCode?: number }).exitCode === 0 ? 0 : 2;
  }
  const { dataDir, acceptRepair = [] } = program.opts<{ dataDir: string; acceptRepair?: string[] }>();
  let result: AuditVerification;
  try {
    result = await verifyDataDir(dataDir);
  } catch (err) {
    process.stderr.write(`audit-verify: ${(err as Error).message}\n`);
    return 2;
  }
  if (result.ok) {
    const unexplained = result.repairs.find((seq) => !acceptRepair.includes(String(seq)));
    if (unexplained !== undefined) {
      process.stdout.write(
        `FAIL seq ${unexplained}: the server repaired its audit head here; records before it were removed or ` +
          `added outside the server (after investigating, pass --accept-repair ${unexplained})\n`,
      );
      return 1;
    }
    process.stdout.write(`OK ${result.count} records, head ${result.lastHash}\n`);
    return 0;
  }
  process.stdout.write(`FAIL seq ${result.seq}: ${result.reason}\n`);
  return 1;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exitCode = await main(process.argv);
}
