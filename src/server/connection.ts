/**
 * One authenticated KMIP connection: frames the byte stream, hands messages to the handler
 * strictly one at a time in arrival order (response N is written before message N+1 is
 * handled, as KMIP clients expect), and enforces the idle and slow-message timeouts.
 *
 * Flow control: reading pauses while the socket's write buffer is full or a few complete
 * messages are already waiting, so a client that pipelines requests without reading responses
 * cannot make us buffer without bound; and while a large message waits for room in the
 * listener's byte budget (byte-budget.ts), so that all connections together cannot either.
 */
import type { TLSSocket } from 'node:tls';
import { TtlvError } from '../ttlv/errors.js';
import { TtlvFramer } from '../ttlv/framer.js';
import type { Logger } from '../log.js';
import { type ByteBudget, RESERVE_ABOVE } from './byte-budget.js';
import type { MessageHandler, PeerIdentity, ServerLimits } from './types.js';

/** Complete messages allowed to wait behind the one being handled before reading pauses. */
const MAX_QUEUED_MESSAGES = 4;
/** After a graceful `end()`, how long to wait for the peer's close before destroying. */
const END_LINGER_MS = 2_000;

/** Why a connection ended; logged once, on the 'connection closed' line. */
export type CloseReason =
  | 'peer-closed'
  | 'idle-timeout'
  | 'message-timeout'
  | 'write-timeout'
  | 'framing-error'
  | 'handler-error'
  | 'shutdown'
  | 'socket-error';

export class KmipConnection {
  private readonly framer: TtlvFramer;
  /** Whole messages waiting, each with the byte budget it holds (0: small, not counted). */
  private readonly queue: { readonly bytes: Buffer; readonly reserved: number }[] = [];
  /** Budget reserved for the message being assembled, and for the one being handled. */
  private pendingReserved = 0;
  private handlingReserved = 0;
  /** Set while the message being assembled waits for room in the budget (reading paused). */
  private budgetRetry: (() => void) | undefined;
  private processing = false;
  /** No new messages are taken once set (shutdown or framing lost); queued ones are still answered. */
  private draining = false;
  private drainReason: CloseReason = 'shutdown';
  private closeReason: CloseReason = 'peer-closed';
  private closed = false;
  private idleTimer: NodeJS.Timeout | undefined;
  private messageTimer: NodeJS.Timeout | undefined;
  private messages = 0;
  private readonly closedPromise: Promise<void>;

  constructor(
    private readonly socket: TLSSocket,
    private readonly peer: PeerIdentity,
    private readonly handler: MessageHandler,
    private readonly limits: ServerLimits,
    private readonly log: Logger,
    private readonly budget?: ByteBudget,
  ) {
    this.framer = new TtlvFramer({ maxMessageBytes: limits.maxMessageBytes });
    this.closedPromise = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => this.updateFlow());
    socket.on('error', (err) => {
      // ECONNRESET and friends: the peer went away. Nothing to answer; log quietly.
      this.log.debug({ err: { name: err.name, message: err.message, code: (err as NodeJS.ErrnoException).code } }, 'socket error');
      if (!this.closed) this.closeReason = 'socket-error';
      this.closed = true;
    });
    socket.once('close', () => {
      this.closed = true;
      this.clearTimers();
      this.releaseAll();
      this.log.info({ messages: this.messages, reason: this.closeReason }, 'connection closed');
    });
    this.armIdle();
  }

  /** Resolves once the underlying socket has closed. */
  get done(): Promise<void> {
    return this.closedPromise;
  }

  /** True while a message is being handled or waiting to be. */
  get busy(): boolean {
    return this.processing || this.queue.length > 0;
  }

  /** Stop taking new messages; finish the ones already received, then close. */
  shutdown(): void {
    if (this.closed || this.draining) return;
    this.draining = true;
    this.clearTimer('messageTimer');
    this.socket.pause();
    if (!this.busy) this.end(this.drainReason);
  }

  /** Close now, whatever is in progress. */
  destroy(reason: CloseReason = 'shutdown'): void {
    if (!this.closed) this.closeReason = reason;
    this.closed = true; // 'close' is emitted later; nothing may be written or armed meanwhile
    this.clearTimers();
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    if (this.draining || this.closed) return;
    const wasAssembling = this.framer.pending > 0;
    let complete: Buffer[];
    try {
      complete = this.framer.push(chunk);
    } catch (err) {
      const e = err instanceof TtlvError ? { code: err.code, offset: err.offset, message: err.message } : { message: String(err) };
      this.log.warn({ framing: e }, 'framing lost; closing connection');
      this.drainReason = 'framing-error';
      this.draining = true;
      this.clearTimer('messageTimer');
      this.socket.pause();
      // Messages that arrived whole before the bad bytes are still answered, then we close.
      if (!this.busy) this.end(this.drainReason);
      return;
    }
    if (complete.length > 0 || this.framer.buffered === 0) this.clearTimer('messageTimer');
    for (let i = 0; i < complete.length; i++) {
      const bytes = complete[i]!;
      this.queue.push({ bytes, reserved: this.budget === undefined ? 0 : this.reservationOf(bytes, i === 0 && wasAssembling) });
    }
    if (this.budget !== undefined) this.reservePending(wasAssembling && complete.length > 0);
    this.armIdle();
    this.updateFlow();
    this.armMessageTimer();
    if (complete.length > 0) deferPump(this);
  }

  /** Handles the queued messages (see {@link deferPump}). */
  runPump(): void {
    this.pump().catch((err: unknown) => {
      // Last resort: nothing in pump() is expected to throw, but the process must outlive it.
      this.log.error({ err }, 'connection failed; closing');
      this.destroy('handler-error');
    });
  }

  /**
   * The slow-message clock runs while part of a message is buffered and we are reading. While
   * we have paused reading ourselves (flow control) the rest may be stuck in kernel buffers
   * through no fault of the client, so the clock is stopped and restarts on resume.
   */
  private armMessageTimer(): void {
    if (this.closed || this.draining || this.framer.buffered === 0 || this.socket.isPaused()) {
      this.clearTimer('messageTimer');
      return;
    }
    this.messageTimer ??= setTimeout(() => this.onMessageTimeout(), this.limits.messageTimeoutMs);
  }

  private onMessageTimeout(): void {
    this.messageTimer = undefined;
    this.log.warn({ timeoutMs: this.limits.messageTimeoutMs, buffered: this.framer.buffered }, 'message not completed in time; closing connection');
    this.destroy('message-timeout');
  }

  private async pump(): Promise<void> {
    if (this.processing) return;
    this.processing = true;
    try {
      // Not shifted once closed: what is still queued then is returned to the budget by releaseAll.
      for (let next = this.closed ? undefined : this.queue.shift(); next !== undefined; next = this.closed ? undefined : this.queue.shift()) {
        const msg = next.bytes;
        this.handlingReserved = next.reserved;
        this.updateFlow();
        this.messages++;
        let response: Buffer;
        const debug = this.log.isLevelEnabled('debug');
        const started = debug ? performance.now() : 0;
        try {
          response = await this.handler.handle(msg, this.peer);
          // A handler bug returning something else must cost one connection, not crash the process.
          if (!(response instanceof Uint8Array)) throw new TypeError(`handler returned ${typeof response}, not bytes`);
        } catch (err) {
          this.log.error({ err, bytes: msg.length }, 'message handler failed; closing connection');
          this.destroy('handler-error');
          return;
        } finally {
          // The request's bytes are no longer needed once it is handled.
          this.budget?.give(this.handlingReserved);
          this.handlingReserved = 0;
        }
        if (this.closed) return;
        if (debug) this.log.debug({ bytesIn: msg.length, bytesOut: response.length, ms: Math.round(performance.now() - started) }, 'message handled');
        if (!this.socket.write(response)) await this.waitForDrain();
      }
    } finally {
      this.processing = false;
    }
    if (this.closed) return;
    if (this.draining) this.end(this.drainReason);
    else {
      this.updateFlow();
      this.armIdle();
    }
  }

  /**
   * Waits until the client has read enough of our output. A client that stops reading would
   * otherwise hold the connection (and its unread responses) forever, with no timer running:
   * it gets the same allowance as a slow sender, then is cut off.
   */
  private waitForDrain(): Promise<void> {
    this.socket.pause();
    this.clearTimer('messageTimer');
    return new Promise((resolve) => {
      const stall = setTimeout(() => {
        this.log.warn({ timeoutMs: this.limits.messageTimeoutMs, pendingBytes: this.socket.writableLength }, 'client not reading responses; closing connection');
        this.destroy('write-timeout');
        done();
      }, this.limits.messageTimeoutMs);
      const done = (): void => {
        clearTimeout(stall);
        this.socket.off('drain', done);
        this.socket.off('close', done);
        resolve();
      };
      this.socket.on('drain', done);
      this.socket.on('close', done);
    });
  }

  /**
   * The byte budget a just-completed message holds: the message that was being assembled keeps
   * its reservation; a large message that arrived whole is counted as it is (it is in memory
   * already); small messages hold none.
   */
  private reservationOf(bytes: Buffer, wasPending: boolean): number {
    if (wasPending && this.pendingReserved > 0) {
      const r = this.pendingReserved;
      this.pendingReserved = 0;
      return r;
    }
    if (bytes.length <= RESERVE_ABOVE) return 0;
    this.budget!.force(bytes.length);
    return bytes.length;
  }

  /**
   * A large message now being assembled must reserve its declared size before more of it is
   * read; until it can, reading pauses (updateFlow) and the budget calls back as bytes return.
   * `pendingDone`: the message assembled before this push has completed, so stop waiting for it.
   */
  private reservePending(pendingDone: boolean): void {
    const budget = this.budget!;
    if (pendingDone) this.stopWaiting();
    const pending = this.framer.pending;
    if (pending <= RESERVE_ABOVE || this.pendingReserved > 0 || this.budgetRetry !== undefined) return;
    if (budget.tryTake(pending)) {
      this.pendingReserved = pending;
      return;
    }
    this.budgetRetry = () => {
      if (this.closed || !budget.tryTake(this.framer.pending)) return;
      this.pendingReserved = this.framer.pending;
      this.stopWaiting();
      this.updateFlow();
    };
    budget.wait(this.budgetRetry);
    this.log.debug({ bytes: pending, reserved: budget.used, limit: budget.limit }, 'large message waits for buffer budget');
  }

  private stopWaiting(): void {
    if (this.budgetRetry === undefined) return;
    this.budget?.unwait(this.budgetRetry);
    this.budgetRetry = undefined;
  }

  /** Returns every reservation this connection holds (it has closed). */
  private releaseAll(): void {
    this.stopWaiting();
    if (this.budget === undefined) return;
    let n = this.pendingReserved + this.handlingReserved;
    for (const m of this.queue) n += m.reserved;
    this.pendingReserved = 0;
    this.handlingReserved = 0;
    this.queue.length = 0; // closed: nothing queued will be handled
    this.budget.give(n);
  }

  /** Read only while there is room: queue short, write buffer not full, budget reserved. */
  private updateFlow(): void {
    if (this.closed) return;
    const full = this.queue.length >= MAX_QUEUED_MESSAGES || this.socket.writableNeedDrain || this.draining || this.budgetRetry !== undefined;
    if (full && !this.socket.isPaused()) this.socket.pause();
    else if (!full && this.socket.isPaused()) this.socket.resume();
    this.armMessageTimer();
  }

  /**
   * The idle clock runs only between messages: nothing queued, in progress or partly received.
   * It is restarted (refresh(), no new timer) each time the connection becomes idle; while it is
   * busy the timer may stay armed, and if it fires then it does nothing (the next idle moment
   * starts a full period again). That saves a timer per message on the request path.
   */
  private armIdle(): void {
    if (this.closed) {
      this.clearTimer('idleTimer');
      return;
    }
    if (this.busy || this.framer.buffered > 0) return;
    if (this.idleTimer !== undefined) this.idleTimer.refresh();
    else this.idleTimer = setTimeout(() => this.onIdleTimeout(), this.limits.idleTimeoutMs);
  }

  private onIdleTimeout(): void {
    this.idleTimer = undefined;
    if (this.closed || this.busy || this.framer.buffered > 0) return; // not idle after all
    this.log.info({ timeoutMs: this.limits.idleTimeoutMs }, 'idle timeout; closing connection');
    this.end('idle-timeout');
  }

  private end(reason: CloseReason): void {
    if (this.closed) return;
    this.clearTimers();
    this.closeReason = reason;
    this.socket.end();
    // A peer that never answers our close_notify/FIN must not keep the socket forever.
    setTimeout(() => this.socket.destroy(), END_LINGER_MS).unref();
  }

  private clearTimer(which: 'idleTimer' | 'messageTimer'): void {
    const t = this[which];
    if (t !== undefined) clearTimeout(t);
    this[which] = undefined;
  }

  private clearTimers(): void {
    this.clearTimer('idleTimer');
    this.clearTimer('messageTimer');
  }
}

/**
 * Connections with whole messages waiting, handled together from one setImmediate rather than
 * inside each socket's 'data' callback. The event loop's poll phase then only reads and frames:
 * a finished store write (a batch of audit records, whose requests wait for it) is noticed, and
 * the next batch started, without first handling every request that arrived in the same poll.
 */
const ready = new Set<KmipConnection>();
let scheduled = false;

function deferPump(conn: KmipConnection): void {
  ready.add(conn);
  if (scheduled) return;
  scheduled = true;
  setImmediate(runReady);
}

function runReady(): void {
  scheduled = false;
  const conns = [...ready];
  ready.clear();
  for (const c of conns) c.runPump();
}
