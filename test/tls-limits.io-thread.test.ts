/** The tests of tls-limits.test.ts, against the listener on an I/O thread (src/server/threaded-server.ts). */
import { useIoThreadByDefault } from './helpers/pki.js';

useIoThreadByDefault();
await import('./tls-limits.test.js');
