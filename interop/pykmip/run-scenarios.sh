#!/usr/bin/env bash
# Run kmipd's interop scenarios (test_scenarios.py) with PyKMIP's client against any KMIP server.
#
#   run-scenarios.sh --host H --port P --ca CA --cert C --key K [--version 1.2] [--junit FILE]
#
# --version picks the client's KMIP version (one of 1.0 1.1 1.2 1.3 1.4 2.0); scenarios that need
# a later version are skipped and do not count. Extra pytest arguments go after "--", e.g.
# "-- -k discover". The last line is "N passed, M failed"; exit 0 only if all passed.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
parse_args "$@"

work="$(mktemp -d "${TMPDIR:-/tmp}/kmip-scenarios.XXXXXX")"
trap 'rm -rf "$work"' EXIT
xml="${JUNIT:-$work/junit.xml}"
rc=0
(
  cd "$HERE"
  KMIP_HOST="$HOST" KMIP_PORT="$PORT" KMIP_CA="$CA" KMIP_CERT="$CERT" KMIP_KEY="$KEY" \
  KMIP_VERSION="$VERSION" PYTHONDONTWRITEBYTECODE=1 \
    "$PY" -m pytest -c "$HERE/pytest.ini" --rootdir "$HERE" \
      --junitxml "$xml" -o junit_suite_name="kmipd-scenarios-$VERSION" \
      -q "${EXTRA[@]}" "$HERE"
) || rc=$?
finish "$rc" "$xml"
