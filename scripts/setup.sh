#!/usr/bin/env bash
# Installs what kmipd needs on a Debian machine with Node.js 20, idempotently:
#   - Debian packages: softhsm2 (the embedded HSM), openssl; with --test also python3-pykmip,
#     python3-pytest and dpkg-dev (the PyKMIP interop suites), gcc and libssl-dev (the C load
#     generator, bench/load/native/kmip-load.c, which a test builds and runs);
#   - npm packages (npm ci) when node_modules is missing or older than package-lock.json.
# Runs apt-get as root directly, or through sudo when not root.
set -euo pipefail
cd "$(dirname "$0")/.."

want=(softhsm2 openssl)
if [[ "${1:-}" == "--test" ]]; then want+=(python3-pykmip python3-pytest python3-testtools dpkg-dev gcc libssl-dev); fi

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
  echo "setup: installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [[ ! -d node_modules || package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi
