#!/usr/bin/env bash
# Installs Exim for the interop tests WITHOUT installing the exim4 packages (Debian/Ubuntu, as root).
#
#   interop/exim/install.sh            (EXIM_HOME=/opt/reactive-smtp-exim by default)
#
# Installing exim4-daemon-light removes Postfix (both provide mail-transport-agent), so the two packages are only
# downloaded (apt-get download) and unpacked (dpkg-deb -x) into EXIM_HOME; the binary is EXIM_HOME/usr/sbin/exim4.
# The shared libraries the binary needs that are missing are installed with apt-get, but only when apt-get's
# simulation shows that nothing gets removed. A Debian-exim system user is added when missing (the daemon drops
# to it). Idempotent: does nothing when EXIM_HOME already holds a binary that runs.
set -euo pipefail

EXIM_HOME=${EXIM_HOME:-/opt/reactive-smtp-exim}
PACKAGES=(exim4-daemon-light exim4-base)

[[ $(id -u) -eq 0 ]] || { echo "install.sh: must run as root" >&2; exit 1; }
command -v apt-get >/dev/null || { echo "install.sh: needs apt-get (Debian/Ubuntu)" >&2; exit 1; }

# ---------------------------------------------------------------- the user the daemon runs as
if ! getent group Debian-exim >/dev/null; then
    groupadd --system Debian-exim
fi
if ! getent passwd Debian-exim >/dev/null; then
    useradd --system --gid Debian-exim --home-dir /nonexistent --no-create-home \
        --shell /usr/sbin/nologin --comment "Exim (interop tests)" Debian-exim
    echo "install.sh: added the system user Debian-exim"
fi

EXIM=$EXIM_HOME/usr/sbin/exim4
runs() { [[ -x $EXIM ]] && "$EXIM" -bV -C /dev/null >/dev/null 2>&1; }

if runs; then
    echo "install.sh: $("$EXIM" -bV -C /dev/null 2>/dev/null | head -1) already unpacked in $EXIM_HOME"
    exit 0
fi

# ---------------------------------------------------------------- download and unpack (never dpkg -i)
debs=$(mktemp -d /tmp/reactive-smtp-exim-debs.XXXXXX)
trap 'rm -rf "$debs"' EXIT
chmod 755 "$debs"   # apt-get download runs as _apt when it can
(
    cd "$debs"
    if ! apt-get download "${PACKAGES[@]}" >/dev/null 2>&1; then
        apt-get update -q >/dev/null
        apt-get download "${PACKAGES[@]}"
    fi
)
rm -rf "$EXIM_HOME.new"
mkdir -p "$EXIM_HOME.new"
for deb in "$debs"/*.deb; do
    dpkg-deb -x "$deb" "$EXIM_HOME.new"
done
[[ -x $EXIM_HOME.new/usr/sbin/exim4 ]] || { echo "install.sh: no usr/sbin/exim4 in ${PACKAGES[*]}" >&2; exit 1; }
rm -rf "$EXIM_HOME"
mv "$EXIM_HOME.new" "$EXIM_HOME"
chmod 755 "$EXIM_HOME"

# ---------------------------------------------------------------- shared libraries
# The package's own Depends (libgnutls30, libidn12, ...), minus what it shares with the exim4 packages themselves
# and debconf; only those not installed yet, and only if apt-get removes nothing (above all, not Postfix).
deps=$(dpkg-deb -f "$debs"/exim4-daemon-light_*.deb Depends | tr ',' '\n' | sed -e 's/[(|].*//' -e 's/[[:space:]]//g' \
    | grep -Ev '^(exim4-base|debconf|debconf-2.0|cdebconf|)$' || true)
missing=()
for p in $deps; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
    echo "install.sh: installing the libraries exim4 needs: ${missing[*]}"
    sim=$(apt-get install -s -q --no-install-recommends "${missing[@]}" 2>&1) || {
        apt-get update -q >/dev/null
        sim=$(apt-get install -s -q --no-install-recommends "${missing[@]}" 2>&1)
    }
    if grep -q '^Remv ' <<<"$sim"; then
        echo "install.sh: refusing: installing ${missing[*]} would remove packages:" >&2
        grep '^Remv ' <<<"$sim" >&2
        exit 1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

if ! runs; then
    echo "install.sh: $EXIM does not run:" >&2
    "$EXIM" -bV -C /dev/null >&2 || true
    echo "install.sh: libraries not found:" >&2
    ldd "$EXIM" | grep 'not found' >&2 || true
    exit 1
fi
echo "install.sh: $("$EXIM" -bV -C /dev/null 2>/dev/null | head -1) unpacked in $EXIM_HOME"
