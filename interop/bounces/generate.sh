#!/usr/bin/env bash
# Regenerates the real Postfix and Exim bounces of the parser's corpus into OUT (as root):
#
#   interop/bounces/generate.sh [OUT]     (default: core/src/test/resources/bounces)
#
# Postfix (interop/postfix/install.sh) runs in a temporary directory and stays up while Exim
# (interop/exim/install.sh) routes its remote recipients to Postfix's refusing listener on 127.0.0.1:3627.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
OUT=${1:-$HERE/../../core/src/test/resources/bounces}
WORK=$(mktemp -d /tmp/reactive-smtp-bounces.XXXXXX)
chmod 755 "$WORK"
trap 'postfix -c "$WORK/postfix" stop >/dev/null 2>&1 || true' EXIT
KEEP_RUNNING=1 "$HERE/postfix-bounces.sh" "$WORK/postfix" "$OUT"
"$HERE/exim-bounces.sh" "$WORK/exim" "$OUT"
