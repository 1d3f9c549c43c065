#!/usr/bin/env bash
# The whole test suite, as CI runs it (`npm run test:all`; .ci/run calls the same):
#   static checks (generated spec tables up to date, lint, typecheck), vitest (unit, cross-layer,
#   TLS + SoftHSM2 + LevelDB end to end), the PyKMIP interop suites against a live kmipd,
#   and the OASIS conformance replay.
# Each suite prints a last line "N passed, M failed[, K skipped]"; this script sums them and ends
# with one such line. It exits non-zero if anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test

LOGDIR=${KMIPD_TEST_LOGS:-.tmp/test-logs}
mkdir -p "$LOGDIR"
passed=0 failed=0 skipped=0
summary=()

# count NAME LOGFILE: reads the suite's last "N passed, M failed[, K skipped]" line.
count() {
  local name=$1 log=$2 line p f s
  line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
  if [[ -z "$line" ]]; then
    echo "!! $name printed no result line; counted as 1 failure (log: $log)"
    tail -n 30 "$log"
    failed=$((failed + 1)); summary+=("$name: no result"); return
  fi
  p=$(sed -E 's/^([0-9]+) passed.*/\1/' <<<"$line")
  f=$(sed -E 's/^[0-9]+ passed, ([0-9]+) failed.*/\1/' <<<"$line")
  s=$(grep -oE '[0-9]+ skipped' <<<"$line" | grep -oE '[0-9]+' || echo 0)
  passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + ${s:-0}))
  summary+=("$name: $line")
}

# check NAME CMD...: a single pass/fail check.
check() {
  local name=$1; shift
  local log="$LOGDIR/$name.log"
  if "$@" >"$log" 2>&1; then echo "1 passed, 0 failed" >>"$log"; else echo "0 passed, 1 failed" >>"$log"; tail -n 40 "$log"; fi
  count "$name" "$log"
}

echo "== static checks"
check spec-tables npm run --silent check:spec
check lint npm run --silent lint
check typecheck npm run --silent typecheck

echo "== vitest"
npx vitest run --reporter=default --reporter=json --outputFile="$LOGDIR/vitest.json" >"$LOGDIR/vitest.log" 2>&1
node -e '
  const r = require(process.argv[1]);
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`);
' "$(pwd)/$LOGDIR/vitest.json" >>"$LOGDIR/vitest.log" 2>&1 || echo "0 passed, 1 failed" >>"$LOGDIR/vitest.log"
grep -E "✗|FAIL|×" "$LOGDIR/vitest.log" | head -n 40 || true
count vitest "$LOGDIR/vitest.log"

echo "== PyKMIP interop against a live kmipd (the compiled build, as npm start runs it)"
check build npm run --silent build
export KMIPD_PREBUILT=1
# Scenarios at every version PyKMIP speaks (one fresh kmipd per version, ~15 s each).
for v in 1.0 1.1 1.2 1.3 1.4 2.0; do
  log="$LOGDIR/pykmip-scenarios-$v.log"
  npx tsx interop/with-kmipd.ts -- bash interop/pykmip/run-scenarios.sh --version "$v" >"$log" 2>&1
  count "pykmip-scenarios@$v" "$log"
done
if [[ -f interop/pykmip/run-upstream.sh ]]; then
  bash interop/pykmip/fetch-upstream-tests.sh >"$LOGDIR/pykmip-fetch.log" 2>&1 || true
  for v in 1.2 1.4 2.0; do
    log="$LOGDIR/pykmip-upstream-$v.log"
    npx tsx interop/with-kmipd.ts -- bash interop/pykmip/run-upstream.sh --version "$v" >"$log" 2>&1
    count "pykmip-upstream@$v" "$log"
  done
fi

if grep -q '"conformance"' package.json; then
  echo "== OASIS conformance replay"
  npm run --silent conformance -- --check-baseline >"$LOGDIR/conformance.log" 2>&1
  count conformance "$LOGDIR/conformance.log"
fi

echo
echo "== summary"
printf '  %s\n' "${summary[@]}"
echo "$passed passed, $failed failed, $skipped skipped"
[[ $failed -eq 0 ]]
