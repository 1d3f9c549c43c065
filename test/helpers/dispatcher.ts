/**
 * The dispatcher as the in-process tests compose it (bytes in, bytes out, no TLS): every
 * operation, a silent logger, an in-memory store and the fake crypto provider unless the test
 * gives its own (SoftHSM2 through openPkcs11Provider, a LevelDB store, a clock, a log sink).
 */
import pino from 'pino';
import { Dispatcher, type DispatcherOptions } from '../../src/dispatch/dispatcher.js';
import { operations } from '../../src/operations/index.js';
import { createMemoryStore } from '../../src/store/memory-store.js';
import { createFakeCryptoProvider } from '../../src/crypto/fake-provider.js';

export function testDispatcher(opts: Partial<DispatcherOptions> = {}): Dispatcher {
  return new Dispatcher({
    store: opts.store ?? createMemoryStore(),
    crypto: opts.crypto ?? createFakeCryptoProvider(),
    log: opts.log ?? pino({ level: 'silent' }),
    operations: opts.operations ?? operations,
    server: opts.server ?? { vendorIdentification: 'kmipd', serverInformation: 'test' },
    ...(opts.now === undefined ? {} : { now: opts.now }),
  });
}
