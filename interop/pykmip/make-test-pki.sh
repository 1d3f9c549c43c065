#!/usr/bin/env bash
# Make a throwaway PKI for interop runs: a CA, a server certificate for 127.0.0.1/localhost
# and a client certificate (default CN=alice). RSA 2048 throughout: PyKMIP 0.10's server
# and client both handle it, and its TLS1.2 auth suite only offers RSA cipher suites.
#
#   make-test-pki.sh DIR [CLIENT_CN]
# Writes DIR/ca.crt, DIR/server.{crt,key}, DIR/<cn>.{crt,key}. Never commit these.
set -euo pipefail
dir="${1:?usage: make-test-pki.sh DIR [CLIENT_CN]}"
cn="${2:-alice}"
mkdir -p "$dir"
cd "$dir"
umask 077
days=2

openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days "$days" \
  -keyout ca.key -out ca.crt -subj "/CN=kmipd interop test CA" \
  -addext "basicConstraints=critical,CA:TRUE" \
  -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null

leaf() { # name cn eku san
  local name=$1 subj=$2 eku=$3 san=$4
  openssl req -newkey rsa:2048 -nodes -sha256 -keyout "$name.key" -out "$name.csr" \
    -subj "/CN=$subj" 2>/dev/null
  {
    echo "basicConstraints=critical,CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    echo "extendedKeyUsage=$eku"
    [[ -n "$san" ]] && echo "subjectAltName=$san"
  } > "$name.ext"
  openssl x509 -req -in "$name.csr" -CA ca.crt -CAkey ca.key -CAcreateserial \
    -days "$days" -sha256 -extfile "$name.ext" -out "$name.crt" 2>/dev/null
  rm -f "$name.csr" "$name.ext"
}

leaf server localhost serverAuth "IP:127.0.0.1,DNS:localhost"
leaf "$cn" "$cn" clientAuth ""
chmod 644 ./*.crt
echo "$dir"
