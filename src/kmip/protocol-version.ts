/**
 * Protocol versions kmipd speaks, and the negotiation rule. KMIP 2.1 §8 (Protocol Version in every
 * header); Discover Versions (KMIP 1.1+ §4.26 / 2.1 §6.1.19) lets a client pick one.
 */
export interface ProtocolVersion {
  readonly major: number;
  readonly minor: number;
}

/** Highest first, as Discover Versions answers (KMIP 2.1 §6.1.19: "in order of preference"). */
export const SUPPORTED_VERSIONS: readonly ProtocolVersion[] = [
  { major: 2, minor: 1 },
  { major: 2, minor: 0 },
  { major: 1, minor: 4 },
  { major: 1, minor: 3 },
  { major: 1, minor: 2 },
  { major: 1, minor: 1 },
  { major: 1, minor: 0 },
];

export function isSupported(v: ProtocolVersion): boolean {
  return SUPPORTED_VERSIONS.some((s) => s.major === v.major && s.minor === v.minor);
}

export function compareVersions(a: ProtocolVersion, b: ProtocolVersion): number {
  return a.major !== b.major ? a.major - b.major : a.minor - b.minor;
}

/** True for KMIP 2.0 and later, where attributes travel by tag, not by name. */
export function is2x(v: ProtocolVersion): boolean {
  return v.major >= 2;
}

/** At least `major.minor`. */
export function atLeast(v: ProtocolVersion, major: number, minor: number): boolean {
  return compareVersions(v, { major, minor }) >= 0;
}

/**
 * The version to answer an unsupported request in: the highest supported version not above the
 * client's (so a 1.x client still reads the error), or the lowest we have.
 */
export function fallbackVersion(v: ProtocolVersion): ProtocolVersion {
  for (const s of SUPPORTED_VERSIONS) if (compareVersions(s, v) <= 0) return s;
  return SUPPORTED_VERSIONS[SUPPORTED_VERSIONS.length - 1]!;
}

export function formatVersion(v: ProtocolVersion): string {
  return `${v.major}.${v.minor}`;
}
