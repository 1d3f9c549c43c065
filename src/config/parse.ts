/**
 * Small validators shared by the config file and environment readers. Each throws a
 * {@link ConfigError} that names where the bad value came from.
 */
import { isIP } from 'node:net';
import { LOG_LEVELS, type LogLevel } from './types.js';

/** A configuration problem; the message names the source (file, variable or option) and the fix. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** Checks a listen host: an IPv4/IPv6 literal (no brackets) or a DNS name. */
export function parseHost(host: string, source: string): string {
  if (isIP(host) !== 0 || HOSTNAME.test(host)) return host;
  throw new ConfigError(`${source}: ${JSON.stringify(host)} is not an IP address or host name`);
}

/** Checks a TCP port; 0 asks the OS for a free port (used by tests). */
export function parsePort(value: unknown, source: string): number {
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 65535) return n;
  throw new ConfigError(`${source}: port must be an integer 0-65535, got ${JSON.stringify(value)}`);
}

/**
 * Parses `host:port`, `[ipv6]:port`, or a bare IPv6 literal is rejected (ambiguous: use brackets).
 * Examples: `127.0.0.1:5696`, `0.0.0.0:5696`, `[::1]:5696`, `kmip.example.com:5696`.
 */
export function parseListen(value: string, source: string): { host: string; port: number } {
  const bracketed = /^\[([^\]]+)\]:(\d+)$/.exec(value);
  if (bracketed) {
    const host = bracketed[1]!;
    if (isIP(host) !== 6) throw new ConfigError(`${source}: [${host}] is not an IPv6 address`);
    return { host, port: parsePort(bracketed[2], source) };
  }
  const plain = /^([^:[\]]+):(\d+)$/.exec(value);
  if (plain) return { host: parseHost(plain[1]!, source), port: parsePort(plain[2], source) };
  throw new ConfigError(`${source}: expected host:port or [ipv6]:port (e.g. 127.0.0.1:5696), got ${JSON.stringify(value)}`);
}

export function parseLogLevel(value: unknown, source: string): LogLevel {
  if (typeof value === 'string' && (LOG_LEVELS as readonly string[]).includes(value)) return value as LogLevel;
  throw new ConfigError(`${source}: log level must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(value)}`);
}

/** A positive integer (accepts decimal strings from the environment). */
export function parsePositiveInt(value: unknown, source: string, max = Number.MAX_SAFE_INTEGER): number {
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof n === 'number' && Number.isInteger(n) && n > 0 && n <= max) return n;
  throw new ConfigError(`${source}: expected a positive integer${max < Number.MAX_SAFE_INTEGER ? ` <= ${max}` : ''}, got ${JSON.stringify(value)}`);
}

/** A non-negative integer up to `max` (accepts decimal strings from the environment). */
export function parseNonNegativeInt(value: unknown, source: string, max: number): number {
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= max) return n;
  throw new ConfigError(`${source}: expected an integer 0-${max}, got ${JSON.stringify(value)}`);
}

/** A PKCS#11 slot id: a non-negative integer. */
export function parseSlot(value: unknown, source: string): number {
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof n === 'number' && Number.isInteger(n) && n >= 0) return n;
  throw new ConfigError(`${source}: PKCS#11 slot must be a non-negative integer, got ${JSON.stringify(value)}`);
}

export function parseNonEmptyString(value: unknown, source: string): string {
  if (typeof value === 'string' && value.length > 0) return value;
  throw new ConfigError(`${source}: expected a non-empty string, got ${value === undefined ? 'nothing' : typeof value}`);
}

/** A boolean setting: JSON true/false in a file; "true"/"false"/"1"/"0" in the environment. */
export function parseBoolean(value: unknown, source: string): boolean {
  if (typeof value === 'boolean') return value;
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw new ConfigError(`${source}: expected true or false, got ${typeof value === 'string' ? JSON.stringify(value) : typeof value}`);
}
