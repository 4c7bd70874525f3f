#!/usr/bin/env bash
# Removes what systemd/install.sh installed.
#
#   sudo systemd/uninstall.sh [--purge]
#
# Stops and disables the service, removes the unit, /opt/kiosk and the console
# lockdown (the console comes back at the next boot). The
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
# The console lockdown install.sh wrote (kept out of the way of anything else's files).
rm -f "$SYSTEM_ETC/sysctl.d/90-kiosk-console.conf" "$SYSTEM_ETC/systemd/logind.conf.d/90-kiosk-console.conf"
for masked in getty@tty1.service ctrl-alt-del.target; do
    if [ "$(readlink "$UNIT_DIR/$masked" 2>/dev/null)" = /dev/null ]; then
        rm -f "$UNIT_DIR/$masked"
    fi
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
