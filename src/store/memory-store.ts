/**
 * An in-memory ObjectStore for unit tests of other layers. It is the same store code as the
 * LevelDB backend (src/store/kv-object-store.ts) over an in-memory ordered KV, so commits, index
 * maintenance, locate semantics, revision checks and audit sealing behave identically.
 */
import { createMemoryKv } from './memory-kv.js';
import { createEmptyKvObjectStore, type InspectableStore } from './kv-object-store.js';

/** Creates a fresh, empty in-memory store. */
export function createMemoryStore(): InspectableStore {
  return createEmptyKvObjectStore(createMemoryKv());
}
