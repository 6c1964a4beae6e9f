#!/usr/bin/env bash
# Installs the independent DKIM verifier of the interop tests (Debian/Ubuntu, as root): Debian's dkimpy
# (python3-dkim, which also provides dkimverify) and PyNaCl (python3-nacl), which dkimpy needs for
# ed25519-sha256 (RFC 8463). Idempotent: does nothing when both are installed. Checks the result with the
# system interpreter /usr/bin/python3, the one DkimVerifyInteropIT runs.
set -euo pipefail

PACKAGES=(python3-dkim python3-nacl)

if [[ $(id -u) -ne 0 ]]; then
    echo "install.sh: must run as root" >&2
    exit 1
fi

missing=()
for p in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$p")
    fi
done

if ((${#missing[@]})); then
    echo "install.sh: installing ${missing[*]}"
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

/usr/bin/python3 -c 'import dkim, nacl; print("install.sh: dkimpy", getattr(dkim, "__version__", "?"), "with PyNaCl", nacl.__version__)'
