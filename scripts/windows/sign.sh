#!/usr/bin/env bash
# sign.sh IN [OUT] — Authenticode-sign a Windows .exe with osslsigncode (in
# place when OUT is left out, as NSIS asks for its uninstaller), then
# verify the signature; a failed verification fails the build.
#
# A real certificate comes from the environment: MILADY_SIGN_PFX (a PKCS#12
# file), MILADY_SIGN_PASS (its password, may be empty), MILADY_SIGN_CA (the
# CA bundle to verify against; default: the system's), and optionally
# MILADY_SIGN_TIMESTAMP (an RFC 3161 timestamp server URL). Without one, a
# self-made code-signing certificate is generated once in build/windows-sign/
# (never committed): enough for CI to prove the signing step works, not for
# users — Windows SmartScreen trusts only certificates from a public CA.
set -euo pipefail

in=$1 out=${2:-$1}
dir=${MILADY_SIGN_DIR:-$(cd "$(dirname "$0")/../.." && pwd)/build/windows-sign}

if [[ -n "${MILADY_SIGN_PFX:-}" ]]; then
  pfx=$MILADY_SIGN_PFX pass=${MILADY_SIGN_PASS:-}
  ca=${MILADY_SIGN_CA:-/etc/ssl/certs/ca-certificates.crt}
else
  mkdir -p "$dir"
  pfx=$dir/test-signing.pfx pass=test ca=$dir/test-signing.pem
  if [[ ! -s $pfx ]]; then
    echo "sign: no MILADY_SIGN_PFX; making a test certificate in $dir"
    openssl req -x509 -newkey rsa:3072 -nodes -days 3650 -sha256 \
      -subj "/CN=Milady Cloud test signing/O=Milady AI" \
      -addext "keyUsage=critical,digitalSignature" \
      -addext "extendedKeyUsage=codeSigning" \
      -addext "basicConstraints=critical,CA:FALSE" \
      -keyout "$dir/test-signing.key" -out "$ca" 2>/dev/null
    openssl pkcs12 -export -inkey "$dir/test-signing.key" -in "$ca" \
      -passout "pass:$pass" -out "$pfx"
    chmod 600 "$dir/test-signing.key" "$pfx"
  fi
fi

args=(sign -pkcs12 "$pfx" -pass "$pass" -h sha256
      -n "Milady Cloud" -i "https://github.com/milady-ai/milady-cloud")
if [[ -n "${MILADY_SIGN_TIMESTAMP:-}" ]]; then
  args+=(-ts "$MILADY_SIGN_TIMESTAMP")
fi
tmp=$out.signing
rm -f "$tmp"
osslsigncode "${args[@]}" -in "$in" -out "$tmp" >/dev/null
if ! report=$(osslsigncode verify -CAfile "$ca" -in "$tmp" 2>&1) ||
   ! grep -q '^Signature verification: ok' <<<"$report"; then
  echo "$report" >&2
  rm -f "$tmp"
  echo "sign: verification of $out failed" >&2
  exit 1
fi
grep -E '^(Signature verification|Message digest|Number of verified)' <<<"$report" | sed "s|^|sign: $(basename "$out"): |"
mv -f "$tmp" "$out"
