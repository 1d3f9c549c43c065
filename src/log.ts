/**
 * The one root logger (CONVENTIONS §6): pino, JSON lines on stdout, pino-pretty when stdout is
 * a terminal. Two independent guards keep secrets and payloads out of the log:
 * - `redact` censors well-known secret field names (PINs, passwords, key material) at any of
 *   the first few levels of nesting;
 * - allow-list serializers for `err` and `peer` copy only named fields, so an error or identity
 *   object carrying a Buffer or socket never gets dumped wholesale.
 * Never log raw TTLV, hex or key bytes; log sizes, tags and ids instead.
 */
import { createRequire } from 'node:module';
import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';

/** The logger type used across kmipd. */
export type Logger = PinoLogger;

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /** pino level name or `silent`. */
  level: string;
  /** Human-readable output via pino-pretty. Default: when stdout is a TTY and pino-pretty is installed. */
  pretty?: boolean;
  /** Write here instead of stdout (tests). Disables `pretty`. */
  destination?: DestinationStream;
}

/** Field names whose values are secrets; censored wherever they appear (up to 3 levels deep). */
const SECRET_FIELDS = ['pin', 'password', 'passphrase', 'secret', 'privateKey', 'keyMaterial', 'keyBytes', 'authorization'];

/** pino redact paths for {@link SECRET_FIELDS} at depth 0-3 (pino paths have no recursive wildcard). */
export const REDACT_PATHS: readonly string[] = SECRET_FIELDS.flatMap((f) => [f, `*.${f}`, `*.*.${f}`, `*.*.*.${f}`]);

/** Error fields we log. `cause` is followed one level; other own properties are dropped. */
function serializeError(err: unknown): unknown {
  if (!(err instanceof Error)) return { message: String(err) };
  const e = err as Error & { code?: unknown; reason?: unknown };
  const out: Record<string, unknown> = { type: e.name, message: e.message };
  if (typeof e.code === 'string' || typeof e.code === 'number') out.code = e.code;
  if (typeof e.reason === 'string' || typeof e.reason === 'number') out.reason = e.reason;
  if (e.stack !== undefined) out.stack = e.stack;
  if (e.cause instanceof Error) out.cause = { type: e.cause.name, message: e.cause.message };
  return out;
}

/** A peer identity reduced to what an operator needs to correlate a client. */
function serializePeer(peer: unknown): unknown {
  if (typeof peer !== 'object' || peer === null) return peer;
  const p = peer as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of ['principal', 'remoteAddress', 'certFingerprint256', 'subject', 'connId']) {
    if (typeof p[k] === 'string') out[k] = p[k];
  }
  return out;
}

function prettyAvailable(): boolean {
  try {
    createRequire(import.meta.url).resolve('pino-pretty');
    return true;
  } catch {
    return false; // a production install without dev dependencies: plain JSON
  }
}

/** Creates the root logger. Call once per process; pass children down. */
export function createLogger(opts: LoggerOptions): Logger {
  const options = {
    level: opts.level,
    base: { service: 'kmipd' },
    redact: { paths: [...REDACT_PATHS], censor: '[redacted]' },
    serializers: { err: serializeError, error: serializeError, peer: serializePeer },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (opts.destination !== undefined) return pino(options, opts.destination);
  const pretty = opts.pretty ?? (process.stdout.isTTY === true && prettyAvailable());
  if (pretty) {
    return pino(options, pino.transport({ target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:standard' } }));
  }
  return pino(options);
}

/** Bindings of a per-connection child logger (CONVENTIONS §6). */
export interface ConnectionLogFields {
  /** Server-unique connection id. */
  connId: string;
  /** Remote address:port. */
  peer: string;
  /** The authenticated principal, once the handshake is done. */
  client?: string;
}

/** A child logger for one connection; every line carries `connId` and `peer` (and `client` when known). */
export function connectionLogger(parent: Logger, fields: ConnectionLogFields): Logger {
  return parent.child(fields); // `peer` here is an address string: the peer serializer passes strings through
}

/** Level methods of a pino logger; calling one at a disabled level must not build the child. */
const LEVEL_METHODS = new Set<string | symbol>(['trace', 'debug', 'info', 'warn', 'error', 'fatal']);
/** Read from the parent without building the child (a child starts at its parent's level). */
const PARENT_READS = new Set<string | symbol>(['level', 'levelVal', 'isLevelEnabled']);

function noop(): void {}

/**
 * A child logger that is only built when something is logged through it at an enabled level (or
 * when anything other than a level method is used). pino builds a child eagerly, serialising and
 * redacting its bindings, which per request and per batch item cost 5-12% of a Get's server CPU
 * at level warn although nothing was logged (BENCHMARKS.md, "Server"). Lines written through it
 * are exactly those of `parent.child(bindings)`, since that is what it becomes on first use.
 */
export function lazyChild(parent: Logger, bindings: Record<string, unknown>): Logger {
  // One handler object per child, methods on its prototype: no closures per request.
  return new Proxy(parent, new LazyChildHandler(parent, bindings));
}

class LazyChildHandler implements ProxyHandler<Logger> {
  private child: Logger | undefined;

  constructor(
    private readonly parent: Logger,
    private readonly bindings: Record<string, unknown>,
  ) {}

  get(_target: Logger, prop: string | symbol): unknown {
    if (this.child === undefined) {
      if (LEVEL_METHODS.has(prop) && !this.parent.isLevelEnabled(prop as string)) return noop;
      if (PARENT_READS.has(prop)) return bound(this.parent, prop);
    }
    return bound(this.real(), prop);
  }

  set(_target: Logger, prop: string | symbol, value: unknown): boolean {
    return Reflect.set(this.real(), prop, value);
  }

  private real(): Logger {
    this.child ??= this.parent.child(this.bindings);
    return this.child;
  }
}

/** A property of `obj`, methods bound to it. */
function bound(obj: Logger, prop: string | symbol): unknown {
  const v = Reflect.get(obj, prop, obj) as unknown;
  return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(obj) : v;
}
