#!/usr/bin/env bash
# Removes what systemd/install.sh installed.
#
#   sudo systemd/uninstall.sh [--purge]
#
# Stops and disables the service and removes the unit and /opt/kiosk. The
# config (/etc/kiosk), the content (/srv/kiosk/slides), the state and play logs
# (/var/lib/kiosk) and the user stay, unless --purge is given.
# Honours the same KIOSK_* variables and --no-user / --no-systemctl as install.sh.
set -euo pipefail

# shellcheck source=paths.sh
. "$(dirname "$0")/paths.sh"

purge=no
make_user=yes
use_systemctl=yes
for arg in "$@"; do
    case "$arg" in
        --purge) purge=yes ;;
        --no-user) make_user=no ;;
        --no-systemctl) use_systemctl=no ;;
        -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
        *) echo "uninstall.sh: unknown option $arg" >&2; exit 2 ;;
    esac
done

for unit in kiosk.service kiosk-cage.service; do
    if [ "$use_systemctl" = yes ]; then
        systemctl disable --now "$unit" >/dev/null 2>&1 || true
    fi
    rm -f "$UNIT_DIR/$unit"
done
[ "$use_systemctl" = yes ] && systemctl daemon-reload
rm -rf "$PREFIX"
echo "==> removed the service and $PREFIX"

if [ "$purge" = yes ]; then
    rm -rf "$ETC" "$STATE" "$CONTENT"
    if [ "$make_user" = yes ] && id "$KIOSK_USER" >/dev/null 2>&1; then
        userdel "$KIOSK_USER"
    fi
    echo "==> purged $ETC, $STATE, $CONTENT and the user $KIOSK_USER"
else
    echo "    kept $ETC, $STATE and $CONTENT (use --purge to remove them)"
fi
