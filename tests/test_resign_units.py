"""systemd/kiosk-resign.{service,timer}: the publishing machine's re-signing, valid units that run publish with
a key."""

import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.app.cli import build_parser

from .conftest import REPO


def test_the_service_runs_a_signed_publish_and_the_timer_runs_it_well_within_the_validity():
    service = (REPO / "systemd" / "kiosk-resign.service").read_text()
    command = next(line.split("=", 1)[1] for line in service.splitlines() if line.startswith("ExecStart="))
    words = shlex.split(command)
    args = build_parser().parse_args(words[1:])  # the real parser: the unit's arguments are valid
    assert args.command == "publish" and args.key is not None and not args.watch
    assert args.valid_days / 2 > 1  # daily runs sign again long before expiry
    timer = (REPO / "systemd" / "kiosk-resign.timer").read_text()
    assert "OnUnitActiveSec=1d" in timer and "Persistent=true" in timer


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_the_units_pass_systemd_analyze_verify(tmp_path):
    kiosk = Path(sys.executable).with_name("kiosk")
    for unit in ("kiosk-resign.service", "kiosk-resign.timer"):
        text = (REPO / "systemd" / unit).read_text().replace("/opt/kiosk/venv/bin/kiosk", str(kiosk))
        (tmp_path / unit).write_text(text)
    result = subprocess.run(["systemd-analyze", "verify", str(tmp_path / "kiosk-resign.timer"),
                             str(tmp_path / "kiosk-resign.service")], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and not (result.stdout + result.stderr).strip(), result.stdout + result.stderr
