/**
 * Messages between the KMIP I/O thread (src/server/io-thread.ts: TLS, framing, connection
 * lifecycle) and the thread that owns the message handler (src/server/threaded-server.ts).
 * Types only; both sides import them.
 *
 * Requests and responses travel in batches: everything one side has ready when its event loop
 * reaches the check phase goes in one postMessage, because a message costs 5-20 µs of each
 * thread whatever its size, and at 16 connections several requests arrive in one poll.
 */
import type { PeerIdentity, ServerLimits, ServerTlsMaterial } from './types.js';

/** What the I/O thread is started with (workerData). */
export interface IoThreadData {
  readonly host: string;
  readonly port: number;
  readonly tls: ServerTlsMaterial;
  readonly limits: ServerLimits;
  readonly logLevel: string;
  readonly ticketKeys: Uint8Array;
  /** Int32Array over it: [0] open connections, the shared connection cap's count. */
  readonly connections: SharedArrayBuffer;
  readonly connIdPrefix: string;
}

/** One request: id (unique per I/O thread), the whole TTLV message, who sent it. */
export type RequestEntry = [id: number, message: Uint8Array, peer: PeerIdentity];
/** One answer: the response message, or the handler's failure (the connection closes). */
export type ResponseEntry = [id: number, response: Uint8Array | HandlerFailure];
/** A handler's error as it is logged: class name and message (no stack, no other fields). */
export interface HandlerFailure {
  readonly name: string;
  readonly message: string;
}

/** I/O thread → handler thread. */
export type FromIoThread =
  | { readonly k: 'ready'; readonly address: { host: string; port: number } }
  | { readonly k: 'fail'; readonly message: string; readonly code?: string }
  | { readonly k: 'requests'; readonly entries: RequestEntry[] }
  /** A log line, already serialised and redacted by the I/O thread's pino. */
  | { readonly k: 'log'; readonly line: string }
  | { readonly k: 'closed' };

/** Handler thread → I/O thread. */
export type ToIoThread =
  | { readonly k: 'responses'; readonly entries: ResponseEntry[] }
  | { readonly k: 'close'; readonly graceMs?: number }
  | { readonly k: 'reload'; readonly tls: ServerTlsMaterial; readonly ticketKeys: Uint8Array };
