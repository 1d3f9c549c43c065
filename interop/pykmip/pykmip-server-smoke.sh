#!/usr/bin/env bash
# Validate the harness against PyKMIP's own server: start pykmip-server on a free loopback
# port with a throwaway PKI, sqlite database and policy directory, run the scenarios and the
# upstream suite at each client version, stop the server, and compare with the expected counts.
#
#   pykmip-server-smoke.sh [--versions "1.2 1.4 2.0"] [--out DIR] [--keep]
#     --out DIR   keep JUnit reports and logs in DIR (default: the temp dir, removed at exit)
#     --keep      keep the temp dir (PKI, config, database, server log)
#
# Exit 0 only if every run gave the expected result (PyKMIP's server is not perfect at 2.0; the
# expected numbers are the ones recorded in interop/README.md).
set -uo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PY="${KMIP_INTEROP_PYTHON:-/usr/bin/python3}"
versions="1.2 1.4 2.0" out="" keep=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --versions) versions="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --keep) keep=1; shift ;;
    *) echo "usage: $0 [--versions \"1.2 1.4 2.0\"] [--out DIR] [--keep]" >&2; exit 2 ;;
  esac
done

# Expected "passed, failed" per suite and version against PyKMIP 0.10.0's server.
declare -A expected=(
  [scenarios-1.0]="4 passed, 0 failed" [scenarios-1.1]="6 passed, 0 failed"
  [scenarios-1.2]="6 passed, 0 failed" [scenarios-1.3]="6 passed, 0 failed"
  [scenarios-1.4]="6 passed, 0 failed" [scenarios-2.0]="6 passed, 0 failed"
  [upstream-1.2]="35 passed, 0 failed" [upstream-1.4]="35 passed, 0 failed"
  [upstream-2.0]="29 passed, 6 failed"
)

tmp="$(mktemp -d "${TMPDIR:-/tmp}/pykmip-smoke.XXXXXX")"
out="${out:-$tmp/reports}"
mkdir -p "$out"
server_pid=""
cleanup() {
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$server_pid" 2>/dev/null
  fi
  if [[ $keep -eq 1 ]]; then echo "kept $tmp" >&2; else rm -rf "$tmp"; fi
}
trap cleanup EXIT

"$HERE/make-test-pki.sh" "$tmp/pki" alice >/dev/null || exit 1
mkdir -p "$tmp/policies"
port="$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
cat > "$tmp/server.conf" <<CONF
[server]
hostname=127.0.0.1
port=$port
certificate_path=$tmp/pki/server.crt
key_path=$tmp/pki/server.key
ca_path=$tmp/pki/ca.crt
auth_suite=TLS1.2
policy_path=$tmp/policies
enable_tls_client_auth=True
logging_level=INFO
database_path=$tmp/pykmip.db
CONF

"$PY" /usr/bin/pykmip-server -f "$tmp/server.conf" -l "$tmp/server.log" >"$tmp/server.out" 2>&1 &
server_pid=$!
for _ in $(seq 100); do
  kill -0 "$server_pid" 2>/dev/null || break
  "$PY" -c "import socket; socket.create_connection(('127.0.0.1', $port), 0.2).close()" 2>/dev/null && break
  sleep 0.2
done
if ! "$PY" -c "import socket; socket.create_connection(('127.0.0.1', $port), 0.5).close()" 2>/dev/null; then
  echo "pykmip-server did not start; its output:" >&2
  tail -20 "$tmp/server.out" "$tmp/server.log" >&2 2>/dev/null
  exit 1
fi
echo "pykmip-server (pid $server_pid) listening on 127.0.0.1:$port" >&2

common=(--host 127.0.0.1 --port "$port" --ca "$tmp/pki/ca.crt" --cert "$tmp/pki/alice.crt" --key "$tmp/pki/alice.key")
status=0
printf '%-10s %-8s %-22s %-22s %s\n' suite version result expected verdict
for v in $versions; do
  for suite in scenarios upstream; do
    name="$suite-$v"
    "$HERE/run-$suite.sh" "${common[@]}" --version "$v" --junit "$out/$name.xml" >"$out/$name.log" 2>&1
    got="$(tail -1 "$out/$name.log")"
    want="${expected[$name]:-}"
    verdict=ok
    if [[ -z "$want" ]]; then verdict="no expectation"
    elif [[ "$got" != "$want" ]]; then verdict=MISMATCH; status=1
    fi
    printf '%-10s %-8s %-22s %-22s %s\n' "$suite" "$v" "$got" "${want:--}" "$verdict"
  done
done
[[ $status -eq 0 ]] || echo "see $out/*.log (use --out DIR to keep them)" >&2
exit $status
