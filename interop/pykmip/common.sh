# Shared by run-upstream.sh and run-scenarios.sh: argument parsing and the summary line.
# Sourced, not executed.

# PyKMIP is packaged for Debian's own interpreter only; the first python3 on PATH may differ.
PY="${KMIP_INTEROP_PYTHON:-/usr/bin/python3}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

usage() {
  cat >&2 <<USAGE
usage: $(basename "$0") --host H --port P --ca CA --cert C --key K [--version V] [--junit FILE] [-- PYTEST_ARGS...]
  --version V   client KMIP version: 1.0 1.1 1.2 1.3 1.4 2.0 (default 1.2)
  --junit FILE  also keep the JUnit XML report in FILE
Exit status 0 only if every test passed; the last line is "N passed, M failed".
USAGE
  bad_usage
}

# Usage errors keep the output contract: nothing ran, exit 2.
bad_usage() {
  [[ $# -gt 0 ]] && echo "$*" >&2
  echo "0 passed, 0 failed"
  exit 2
}

parse_args() {
  HOST="" PORT="" CA="" CERT="" KEY="" VERSION="1.2" JUNIT="" EXTRA=()
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --host) HOST="${2:-}"; shift 2 ;;
      --port) PORT="${2:-}"; shift 2 ;;
      --ca) CA="${2:-}"; shift 2 ;;
      --cert) CERT="${2:-}"; shift 2 ;;
      --key) KEY="${2:-}"; shift 2 ;;
      --version) VERSION="${2:-}"; shift 2 ;;
      --junit) JUNIT="${2:-}"; shift 2 ;;
      -h|--help) usage ;;
      --) shift; EXTRA=("$@"); break ;;
      *) echo "unknown argument: $1" >&2; usage ;;
    esac
  done
  [[ -n "$HOST" && -n "$PORT" && -n "$CA" && -n "$CERT" && -n "$KEY" ]] || usage
  [[ "$PORT" =~ ^[0-9]+$ ]] || bad_usage "--port must be a number"
  case "$VERSION" in 1.0|1.1|1.2|1.3|1.4|2.0) ;; *) bad_usage "unsupported --version $VERSION" ;; esac
  local f
  for f in "$CA" "$CERT" "$KEY"; do
    [[ -r "$f" ]] || bad_usage "cannot read $f"
  done
  # Absolute paths: pytest runs from another directory.
  CA="$(realpath "$CA")" CERT="$(realpath "$CERT")" KEY="$(realpath "$KEY")"
  if [[ -n "$JUNIT" ]]; then
    mkdir -p "$(dirname "$JUNIT")"
    JUNIT="$(realpath "$JUNIT")"
  fi
}

# finish PYTEST_RC JUNIT_XML: print the summary line last and exit 0 only if all passed.
finish() {
  local rc=$1 xml=$2 line
  if [[ -n "$JUNIT" && "$xml" != "$JUNIT" && -f "$xml" ]]; then cp "$xml" "$JUNIT"; fi
  local known=()
  if [[ -n "${KNOWN_FAILURES:-}" ]]; then known=(--known "$KNOWN_FAILURES" --version "$VERSION"); fi
  line="$("$PY" "$HERE/junit_summary.py" "$xml" "${known[@]}")" || line="0 passed, 1 failed"
  # Anything pytest did not count as a test (usage error, no tests collected, crash) is a failure.
  # With a known-failure list, pytest's own exit status says nothing: the counts decide.
  if [[ ${#known[@]} -eq 0 && $rc -ne 0 && "$line" =~ ^[0-9]+\ passed,\ 0\ failed$ ]]; then
    echo "pytest exited $rc without a failing test (collection, usage or internal error)" >&2
    line="${line%%,*}, 1 failed"
  fi
  if [[ ! -s "$xml" ]]; then line="0 passed, 1 failed"; fi
  echo "$line"
  [[ "$line" =~ ^[0-9]+\ passed,\ 0\ failed ]] && [[ ! "$line" =~ ^0\ passed,\ 0\ failed ]]
}
