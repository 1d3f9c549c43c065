/** The tests of server-e2e.test.ts, with kmipd's listener on an I/O thread (KMIPD_IO_THREAD=true). */
import { useKmipdEnvByDefault } from './helpers/kmipd.js';

useKmipdEnvByDefault({ KMIPD_IO_THREAD: 'true' });
await import('./server-e2e.test.js');
