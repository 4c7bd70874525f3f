#!/usr/bin/env bash
# Installs the kiosk on a display box (Debian / Raspberry Pi OS) as a systemd service.
#
#   sudo systemd/install.sh [--cage] [--no-demo] [--no-start] [--no-lockdown]
#
# Creates the user `kiosk` (groups video, render, input), installs the kiosk
# into its own virtual environment in /opt/kiosk/venv, copies config.yaml to
# /etc/kiosk/ (kept if it exists), fills /srv/kiosk/slides with the bundled
# campaign slides if it is empty, smoke-tests the installation, locks the
# console a passer-by could reach with a keyboard (no login prompt on any VT,
# SysRq off, Ctrl+Alt+Del does nothing; --no-lockdown skips it on a desk
# machine), then enables and starts kiosk.service (or kiosk-cage.service with --cage).
#
# Paths can be moved with KIOSK_PREFIX, KIOSK_ETC, KIOSK_STATE, KIOSK_CONTENT,
# KIOSK_UNIT_DIR, KIOSK_SYSTEM_ETC and KIOSK_USER; --no-user and --no-systemctl
# skip the steps that need a real box (the test suite uses them to install into a folder).
set -euo pipefail

# shellcheck source=paths.sh
. "$(dirname "$0")/paths.sh"
PYTHON=${KIOSK_PYTHON:-python3}
SOURCE=$(cd "$(dirname "$0")/.." && pwd)

unit=kiosk.service
demo=yes
start=yes
make_user=yes
use_systemctl=yes
lockdown=yes
for arg in "$@"; do
    case "$arg" in
        --cage) unit=kiosk-cage.service ;;
        --no-demo) demo=no ;;
        --no-start) start=no ;;
        --no-user) make_user=no ;;
        --no-systemctl) use_systemctl=no ;;
        --no-lockdown) lockdown=no ;;
        -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
        *) echo "install.sh: unknown option $arg" >&2; exit 2 ;;
    esac
done

step() { echo "==> $*"; }

"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
    || { echo "install.sh: Python 3.11 or newer is needed ($PYTHON)" >&2; exit 1; }

if [ "$make_user" = yes ]; then
    if ! id "$KIOSK_USER" >/dev/null 2>&1; then
        step "creating user $KIOSK_USER"
        useradd --system --home-dir "$STATE" --no-create-home --shell /usr/sbin/nologin "$KIOSK_USER"
    fi
    for group in video render input; do
        if getent group "$group" >/dev/null; then
            usermod -a -G "$group" "$KIOSK_USER"
        fi
    done
fi

if [ "$use_systemctl" = yes ] && command -v apt-get >/dev/null; then
    # Captions in every script of the answers: Noto Sans CJK for Chinese (20 MB, from the
    # system rather than bundled); FriBidi, which Pillow's raqm layout loads to shape
    # Thai, the Indic scripts, Khmer, Burmese and Arabic and to order mixed directions; and
    # ICU, whose dictionaries find the words of Thai, Lao, Khmer and Burmese (libicu72 on
    # bookworm, libicu76 on trixie: libxml2 needs it, so it is nearly always there already).
    icu_package=$(apt-cache pkgnames libicu 2>/dev/null | grep -E '^libicu[0-9]+$' | sort -V | tail -n 1)
    step "system packages for captions: fonts-noto-cjk libfribidi0 ${icu_package:-libicu}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends fonts-noto-cjk libfribidi0 \
        ${icu_package:+"$icu_package"} >/dev/null \
        || echo "    could not install them: captions may show empty boxes or break inside words until they are (kiosk check says which)"
fi

step "installing the kiosk into $PREFIX/venv"
mkdir -p "$PREFIX"
"$PYTHON" -m venv "$PREFIX/venv"
"$PREFIX/venv/bin/pip" install --quiet --upgrade pip
"$PREFIX/venv/bin/pip" install --quiet "$SOURCE"
install -m 0644 "$SOURCE/README.md" "$PREFIX/README.md"
install -d "$PREFIX/docs"
install -m 0644 "$SOURCE"/docs/*.md "$SOURCE"/docs/*.png "$PREFIX/docs/"

step "config in $ETC/config.yaml"
mkdir -p "$ETC"
if [ ! -e "$ETC/config.yaml" ]; then
    sed -e "s#^  folder: slides\$#  folder: $CONTENT#" \
        -e "s#^  dir: state\$#  dir: $STATE#" \
        "$SOURCE/config.yaml" > "$ETC/config.yaml"
    chmod 0644 "$ETC/config.yaml"
else
    echo "    keeping the existing $ETC/config.yaml"
fi

step "folders $STATE and $CONTENT"
mkdir -p "$STATE" "$CONTENT"
# Readable by other users (the office's tools read the play logs); kiosk.prom is in /run/kiosk.
chmod 0755 "$STATE"
if [ "$demo" = yes ] && [ -z "$(ls -A "$CONTENT")" ]; then
    cp -r "$SOURCE/slides/." "$CONTENT/"
    echo "    copied the bundled campaign slides"
fi
if [ "$make_user" = yes ]; then
    chown -R "$KIOSK_USER:$KIOSK_USER" "$STATE" "$CONTENT"
fi

step "checking the installation"
"$PREFIX/venv/bin/kiosk" check --config "$ETC/config.yaml"

step "systemd unit $UNIT_DIR/$unit"
mkdir -p "$UNIT_DIR"
sed -e "s#/opt/kiosk#$PREFIX#g" \
    -e "s#/etc/kiosk#$ETC#g" \
    -e "s#/var/lib/kiosk#$STATE#g" \
    -e "s#/srv/kiosk/slides#$CONTENT#g" \
    -e "s#^User=kiosk\$#User=$KIOSK_USER#" \
    -e "s#^Group=kiosk\$#Group=$KIOSK_USER#" \
    "$SOURCE/systemd/$unit" > "$UNIT_DIR/$unit"
chmod 0644 "$UNIT_DIR/$unit"

if [ "$lockdown" = yes ]; then
    # A keyboard plugged into a box on the plaza must reach nothing: the kiosk ignores its keys
    # (display.keys), and the system gives it no console. See "The console" in docs/install.md.
    step "locking the console: no login prompt on any VT, SysRq off, Ctrl+Alt+Del masked"
    mkdir -p "$SYSTEM_ETC/sysctl.d" "$SYSTEM_ETC/systemd/logind.conf.d"
    cat > "$SYSTEM_ETC/sysctl.d/90-kiosk-console.conf" <<'CONF'
# Installed by the kiosk's install.sh: no magic SysRq keys (reboot, kill all, ...) from a keyboard.
kernel.sysrq = 0
CONF
    cat > "$SYSTEM_ETC/systemd/logind.conf.d/90-kiosk-console.conf" <<'CONF'
# Installed by the kiosk's install.sh: no login prompt on a VT a keyboard switches to.
[Login]
NAutoVTs=0
ReserveVT=0
CONF
    chmod 0644 "$SYSTEM_ETC/sysctl.d/90-kiosk-console.conf" "$SYSTEM_ETC/systemd/logind.conf.d/90-kiosk-console.conf"
    mkdir -p "$UNIT_DIR"
    # Masked: no getty on the panel's VT (tty1), and Ctrl+Alt+Del starts nothing (it would reboot).
    for masked in getty@tty1.service ctrl-alt-del.target; do
        ln -sfn /dev/null "$UNIT_DIR/$masked"
    done
    if [ "$use_systemctl" = yes ]; then
        sysctl -q -p "$SYSTEM_ETC/sysctl.d/90-kiosk-console.conf" || true
        systemctl stop getty@tty1.service >/dev/null 2>&1 || true
        echo "    logind's VT settings apply at the next boot"
    fi
fi

if [ "$use_systemctl" = yes ]; then
    systemctl daemon-reload
    other=kiosk.service
    [ "$unit" = kiosk.service ] && other=kiosk-cage.service
    systemctl disable --now "$other" >/dev/null 2>&1 || true
    if [ "$start" = yes ]; then
        step "enabling and starting $unit"
        systemctl enable --now "$unit"
        echo "    follow it with: journalctl -u $unit -f"
    else
        systemctl enable "$unit"
    fi
fi
step "done"
