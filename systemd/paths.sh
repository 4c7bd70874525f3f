# Where install.sh puts things and uninstall.sh removes them; each can be moved
# with an environment variable (the test suite installs into a folder this way).
PREFIX=${KIOSK_PREFIX:-/opt/kiosk}
ETC=${KIOSK_ETC:-/etc/kiosk}
STATE=${KIOSK_STATE:-/var/lib/kiosk}
CONTENT=${KIOSK_CONTENT:-/srv/kiosk/slides}
UNIT_DIR=${KIOSK_UNIT_DIR:-/etc/systemd/system}
# The system's own settings that lock the console (sysctl.d, logind.conf.d).
SYSTEM_ETC=${KIOSK_SYSTEM_ETC:-/etc}
KIOSK_USER=${KIOSK_USER:-kiosk}
