/**
 * Isolation for the OASIS replay: each case runs as its own client (a fresh certificate from the
 * run's throwaway dev PKI), so it sees only the objects it made itself — kmipd shows a principal
 * only its own objects (Locate filters by owner). The test cases assume a server holding nothing
 * but their own objects; without isolation a Locate in one case finds objects another case left
 * behind (TC-OFFSET-*, TL-M-3 at 1.4+ found the 1.3 run's keys).
 *
 * A few files are not self-contained but steps of one scenario, published as separate files: the
 * Tape Library profile's TL-M-1 / TL-M-2 / TL-M-3 (TL-M-3 locates the keys TL-M-2 created), the
 * Self-Encrypting Drive profile's SASED-M-1 / -2 / -3 (likewise), and the v1.3 one-time-pad test
 * cases and the client-registration test cases (TC-CREG-1 registers the objects TC-CREG-2 locates
 * and gets and TC-CREG-3 destroys; TC-OTP-SETUP-1 registers the pad that TC-OTP-1…5 locate by name; TC-OTP-CLEANUP-1 destroys
 * it). Those run in that order as one client. TC-OTP-SETUP-2 creates a second pad with the same
 * name as an alternative setup, so it runs alone. The v1.4 TC-OTP-1…5 need the same setup, whose
 * v1.4 file was never published: the v1.3 TC-OTP-SETUP-1 runs first as a fixture (its result is
 * counted once, under its own name, from its own run).
 */

export interface Scenario {
  /** Files run before the members to set up state; their results are not reported. */
  readonly fixtures: readonly string[];
  /** Files whose results are reported, in run order. */
  readonly members: readonly string[];
}

const PROFILE_SEQUENCES = ['TL', 'SASED'];

/** Scenario key of a file: files with the same key run in one scenario. */
function scenarioKey(file: string): string {
  const m = /^profiles\/(v\d\.\d)\/mandatory\/([A-Z]+)-M-\d+-(\d+)\.xml$/.exec(file);
  if (m && PROFILE_SEQUENCES.includes(m[2]!)) return `${m[1]}/${m[2]}-M-*-${m[3]}`;
  const creg = /^testcases\/(v\d\.\d)\/TC-CREG-\d-(\d+)\.xml$/.exec(file);
  if (creg) return `${creg[1]}/TC-CREG-${creg[2]}`;
  const otp = /^testcases\/(v\d\.\d)\/TC-OTP-(?:SETUP-1-|CLEANUP-1-|\d-)(\d+)\.xml$/.exec(file);
  if (otp) return `${otp[1]}/TC-OTP-${otp[2]}`;
  return file;
}

/** Run order inside a scenario: setup first, cleanup last, the rest by name. */
function rank(file: string): string {
  if (/-SETUP-/.test(file)) return `0${file}`;
  if (/-CLEANUP-/.test(file)) return `2${file}`;
  return `1${file}`;
}

const OTP_SETUP_13 = 'testcases/v1.3/TC-OTP-SETUP-1-13.xml';

/** Groups the selected files into scenarios, in the order of their first member. */
export function scenarios(files: readonly string[], all: readonly string[] = files): Scenario[] {
  const byKey = new Map<string, string[]>();
  for (const f of files) {
    const k = scenarioKey(f);
    const g = byKey.get(k) ?? [];
    g.push(f);
    byKey.set(k, g);
  }
  const out: Scenario[] = [];
  for (const [key, members] of byKey) {
    members.sort((a, b) => rank(a).localeCompare(rank(b)));
    const fixtures = key === 'v1.4/TC-OTP-14' && all.includes(OTP_SETUP_13) ? [OTP_SETUP_13] : [];
    out.push({ fixtures, members });
  }
  return out;
}

/** A client certificate name for the n-th scenario (letters, digits, '.', '_', '-'). */
export function clientName(n: number): string {
  return `case-${n}`;
}
