#!/usr/bin/env bash
# Installs what the private Postfix instance of the interop tests needs (Debian/Ubuntu, as root).
# Idempotent: does nothing when everything is already installed. The system Postfix instance that the
# package's postinst may start is stopped and disabled: our instance uses its own config directory and
# loopback high ports, so the two never clash, but a system instance listening on port 25 is not wanted
# on a CI machine.
set -euo pipefail

PACKAGES=(postfix sasl2-bin libsasl2-modules openssl)

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
    # No system instance: a policy-rc.d that denies service starts keeps postinst from starting Postfix
    # (only when there is no policy-rc.d of the machine's own).
    own_policy=
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
        chmod 755 /usr/sbin/policy-rc.d
        own_policy=1
    fi
    # debconf: "No configuration" keeps the package from writing a main.cf for a system mail server.
    echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
    rc=0
    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        "${PACKAGES[@]}" || rc=$?
    [[ -n $own_policy ]] && rm -f /usr/sbin/policy-rc.d
    if ((rc)); then
        echo "install.sh: apt-get failed ($rc)" >&2
        exit "$rc"
    fi
else
    echo "install.sh: ${PACKAGES[*]} already installed"
fi

# If a system instance runs anyway (installed earlier, or started by systemd), stop it; it is never needed.
if [[ -f /etc/postfix/main.cf ]] && postfix status >/dev/null 2>&1; then
    echo "install.sh: stopping the system Postfix instance"
    postfix stop >/dev/null 2>&1 || true
fi
if command -v systemctl >/dev/null && systemctl is-active --quiet postfix 2>/dev/null; then
    systemctl stop postfix || true
fi
exit 0
