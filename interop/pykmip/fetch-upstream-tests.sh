#!/usr/bin/env bash
# Fetch PyKMIP's upstream integration tests from Debian's source package, matching the
# installed python3-pykmip binary version, into interop/.cache/ (git-ignored).
#
# Idempotent: does nothing when the source tree is already there. Needs root (or sudo)
# only when it must add a deb-src entry, run apt-get update or install dpkg-dev.
#
# Prints the path of the unpacked source tree as its last line.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache="${KMIP_INTEROP_CACHE:-$here/../.cache}"
mkdir -p "$cache"
cache="$(cd "$cache" && pwd)"

# The source version must match the library we run the tests against.
version="$(dpkg-query -W -f='${Version}' python3-pykmip 2>/dev/null || true)"
if [[ -z "$version" ]]; then
  echo "python3-pykmip is not installed (apt-get install python3-pykmip)" >&2
  exit 2
fi
# One directory per Debian version (0.10.0-4), so a new revision is fetched, not reused.
src="$cache/python-pykmip_${version//:/_}"

sudo_() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi; }

# The upstream tests are testtools TestCases; Debian packages testtools for /usr/bin/python3.
if ! /usr/bin/python3 -c 'import testtools' 2>/dev/null; then
  sudo_ apt-get install -y -qq python3-testtools >&2
fi

if [[ -d "$src/kmip/tests/integration/services" ]]; then
  echo "upstream tests already present" >&2
  echo "$src"
  exit 0
fi

# 1. A deb-src entry mirroring the Debian deb822 source (Debian 12 layout).
if ! apt-get source --print-uris "python-pykmip=$version" >/dev/null 2>&1; then
  base=/etc/apt/sources.list.d/debian.sources
  extra=/etc/apt/sources.list.d/kmipd-interop-src.sources
  if [[ ! -f "$base" ]]; then
    echo "no $base: add a deb-src entry for python-pykmip by hand" >&2
    exit 2
  fi
  echo "adding $extra (deb-src copy of $base)" >&2
  # Same URIs/Suites/Components/Signed-By, only the type differs; keep stanza breaks.
  sed -e 's/^Types:.*/Types: deb-src/' "$base" | sudo_ tee "$extra" >/dev/null
  sudo_ apt-get update -qq
fi

# 2. dpkg-source unpacks the .dsc.
if ! command -v dpkg-source >/dev/null; then
  sudo_ apt-get install -y -qq dpkg-dev
fi

# 3. Download and unpack (apt-get source works in the current directory).
tmp="$(mktemp -d "$cache/.fetch.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
( cd "$tmp" && apt-get source -qq "python-pykmip=$version" ) >&2
got="$(find "$tmp" -mindepth 1 -maxdepth 1 -type d -name 'python-pykmip-*' | head -1)"
if [[ -z "$got" || ! -d "$got/kmip/tests/integration/services" ]]; then
  echo "apt-get source did not produce kmip/tests/integration/services" >&2
  exit 1
fi
rm -rf "$src"
mv "$got" "$src"
echo "$src"
