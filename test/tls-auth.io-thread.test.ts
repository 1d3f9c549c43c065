/** The tests of tls-auth.test.ts, against the listener on an I/O thread (src/server/threaded-server.ts). */
import { useIoThreadByDefault } from './helpers/pki.js';

useIoThreadByDefault();
await import('./tls-auth.test.js');
