"""systemd/install.sh and uninstall.sh into a folder, the units, and the kiosk under cage.

The install runs for real (a virtual environment with a non-editable install),
into temporary folders instead of /opt, /etc, /var and /srv; only the steps
that need a real box (creating the user, systemctl) are skipped.
"""

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from kiosk.boundary.playlog import read_play_log

from .conftest import REPO

SYSTEM_PYTHON = "/usr/bin/python3" if Path("/usr/bin/python3").exists() else sys.executable


@pytest.fixture(scope="module")
def installed():
    # Not pytest's tmp_path: its parent is private to root, and the cage test runs as nobody.
    root = Path(tempfile.mkdtemp(prefix="kiosk-install-"))
    root.chmod(0o755)
    paths = {
        "KIOSK_PREFIX": root / "opt" / "kiosk",
        "KIOSK_ETC": root / "etc" / "kiosk",
        "KIOSK_STATE": root / "var" / "lib" / "kiosk",
        "KIOSK_CONTENT": root / "srv" / "kiosk" / "slides",
        "KIOSK_UNIT_DIR": root / "etc" / "systemd" / "system",
        "KIOSK_SYSTEM_ETC": root / "etc",
    }
    env = dict(os.environ, KIOSK_PYTHON=SYSTEM_PYTHON, **{k: str(v) for k, v in paths.items()})
    result = subprocess.run(
        [str(REPO / "systemd" / "install.sh"), "--no-user", "--no-systemctl"],
        env=env, capture_output=True, text=True, timeout=540,
    )
    yield root, paths, env, result
    shutil.rmtree(root, ignore_errors=True)


def test_install_sets_up_venv_config_content_and_unit(installed):
    root, paths, _env, result = installed
    assert result.returncode == 0, result.stdout + result.stderr
    assert (paths["KIOSK_PREFIX"] / "venv" / "bin" / "kiosk").exists()
    config = (paths["KIOSK_ETC"] / "config.yaml").read_text()
    assert f"folder: {paths['KIOSK_CONTENT']}" in config and f"dir: {paths['KIOSK_STATE']}" in config
    assert len(list((paths["KIOSK_CONTENT"] / "contribute").glob("*.png"))) == 8
    unit = (paths["KIOSK_UNIT_DIR"] / "kiosk.service").read_text()
    assert f"ExecStart={paths['KIOSK_PREFIX']}/venv/bin/kiosk run --config {paths['KIOSK_ETC']}/config.yaml" in unit
    assert f"ReadWritePaths={paths['KIOSK_STATE']} {paths['KIOSK_CONTENT']}" in unit
    assert "slides: 9 contribute, 29 answers, 0 unusable" in result.stdout  # the smoke test ran (video included)


def test_install_locks_the_console_a_passer_by_could_reach(installed):
    """No login prompt on the panel's VT nor on any other, no SysRq, Ctrl+Alt+Del masked."""
    root, paths, _env, result = installed
    assert result.returncode == 0, result.stdout + result.stderr
    units = paths["KIOSK_UNIT_DIR"]
    for masked in ("getty@tty1.service", "ctrl-alt-del.target"):
        assert (units / masked).is_symlink() and os.readlink(units / masked) == "/dev/null", masked
    sysctl = (paths["KIOSK_SYSTEM_ETC"] / "sysctl.d" / "90-kiosk-console.conf").read_text()
    settings = [line.replace(" ", "") for line in sysctl.splitlines() if line and not line.startswith("#")]
    assert settings == ["kernel.sysrq=0"]
    logind = (paths["KIOSK_SYSTEM_ETC"] / "systemd" / "logind.conf.d" / "90-kiosk-console.conf").read_text()
    assert [line for line in logind.splitlines() if line and not line.startswith("#")] == [
        "[Login]", "NAutoVTs=0", "ReserveVT=0"]
    assert "locking the console" in result.stdout


def test_uninstall_gives_the_console_back_and_leaves_units_it_did_not_make(installed):
    root, paths, env, _result = installed
    copy = Path(tempfile.mkdtemp(prefix="kiosk-console-"))
    try:
        units, system = copy / "units", copy / "etc"
        units.mkdir()
        (units / "getty@tty1.service").write_text("[Unit]\n")  # someone's own unit is never removed
        script_env = dict(env, KIOSK_UNIT_DIR=str(units), KIOSK_SYSTEM_ETC=str(system))
        subprocess.run([str(REPO / "systemd" / "uninstall.sh"), "--no-user", "--no-systemctl"],
                       env=dict(script_env, KIOSK_PREFIX=str(copy / "opt")), check=True, capture_output=True,
                       timeout=60)
        assert (units / "getty@tty1.service").read_text() == "[Unit]\n"
        shutil.copytree(paths["KIOSK_SYSTEM_ETC"] / "sysctl.d", system / "sysctl.d")
        shutil.copytree(paths["KIOSK_SYSTEM_ETC"] / "systemd" / "logind.conf.d", system / "systemd" / "logind.conf.d")
        os.symlink("/dev/null", units / "ctrl-alt-del.target")
        subprocess.run([str(REPO / "systemd" / "uninstall.sh"), "--no-user", "--no-systemctl"],
                       env=dict(script_env, KIOSK_PREFIX=str(copy / "opt")), check=True, capture_output=True,
                       timeout=60)
        assert not (units / "ctrl-alt-del.target").is_symlink()
        assert not (system / "sysctl.d" / "90-kiosk-console.conf").exists()
        assert not (system / "systemd" / "logind.conf.d" / "90-kiosk-console.conf").exists()
    finally:
        shutil.rmtree(copy, ignore_errors=True)


def test_cage_never_switches_vts_and_the_keymap_has_no_server_keys():
    text = (REPO / "systemd" / "kiosk-cage.service").read_text()
    start = next(line for line in text.splitlines() if line.startswith("ExecStart="))
    cage_options = start.split("--", 1)[0].split()[1:]
    assert cage_options == [], "cage's -s would allow VT switching"
    assert "Environment=XKB_DEFAULT_OPTIONS=srvrkeys:none" in text.splitlines()


def test_installed_kiosk_finds_its_font_and_fallback_card(installed, tmp_path):
    _root, paths, _env, _result = installed
    kiosk = paths["KIOSK_PREFIX"] / "venv" / "bin" / "kiosk"
    config = paths["KIOSK_ETC"] / "config.yaml"
    env = dict(os.environ, SDL_VIDEODRIVER="dummy")
    result = subprocess.run(
        [str(kiosk), "snapshot", "--config", str(config), "--out", str(tmp_path), "--slide", "answers/answer-001.jpg",
         "--size", "320x180"],
        env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    check = subprocess.run([str(kiosk), "check", "--json", "--config", str(config)], capture_output=True, text=True,
                           timeout=300)
    assert '"missing_glyphs": []' in check.stdout  # the font was found and read
    installed_fonts = {path.name for path in paths["KIOSK_PREFIX"].glob("venv/share/kiosk/assets/fonts/*")}
    assert {"NanumGothicBold.ttf", "NotoSans-Bold.ttf", "NotoSans-OFL.txt"} <= installed_fonts
    from kiosk.core.assets import SCRIPT_FONT_FILES

    assert set(SCRIPT_FONT_FILES.values()) <= installed_fonts  # every script's font, not only the checkout's


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
@pytest.mark.parametrize("unit", ["kiosk.service", "kiosk-cage.service"])
def test_units_pass_systemd_analyze_verify(installed, unit):
    root, paths, _env, _result = installed
    target = paths["KIOSK_UNIT_DIR"] / unit
    if not target.exists():
        source = (REPO / "systemd" / unit).read_text()
        for default, key in (("/opt/kiosk", "KIOSK_PREFIX"), ("/etc/kiosk", "KIOSK_ETC"),
                             ("/var/lib/kiosk", "KIOSK_STATE"), ("/srv/kiosk/slides", "KIOSK_CONTENT")):
            source = source.replace(default, str(paths[key]))
        target.write_text(source)
    result = subprocess.run(["systemd-analyze", "verify", str(target)], capture_output=True, text=True, timeout=60)
    problems = [
        line for line in (result.stdout + result.stderr).splitlines()
        # cage exists only on boxes that use it
        if line.strip() and not ("/usr/bin/cage" in line and "No such file" in line)
    ]
    assert problems == [], problems


def test_uninstall_keeps_data_unless_purged(installed):
    root, paths, env, _result = installed
    copy = Path(tempfile.mkdtemp(prefix="kiosk-uninstall-"))
    try:
        moved = {k: copy / Path(v).relative_to(root) for k, v in paths.items()}
        for key in ("KIOSK_ETC", "KIOSK_STATE", "KIOSK_CONTENT", "KIOSK_UNIT_DIR"):
            shutil.copytree(paths[key], moved[key])
        moved["KIOSK_PREFIX"].mkdir(parents=True)
        uninstall_env = dict(env, **{k: str(v) for k, v in moved.items()})
        script = str(REPO / "systemd" / "uninstall.sh")
        subprocess.run([script, "--no-user", "--no-systemctl"], env=uninstall_env, check=True, capture_output=True,
                       timeout=60)
        assert not moved["KIOSK_PREFIX"].exists()
        assert not (moved["KIOSK_UNIT_DIR"] / "kiosk.service").exists()
        assert (moved["KIOSK_ETC"] / "config.yaml").exists() and moved["KIOSK_CONTENT"].exists()
        subprocess.run([script, "--purge", "--no-user", "--no-systemctl"], env=uninstall_env, check=True,
                       capture_output=True, timeout=60)
        assert not moved["KIOSK_ETC"].exists() and not moved["KIOSK_CONTENT"].exists()
    finally:
        shutil.rmtree(copy, ignore_errors=True)


@pytest.mark.skipif(
    shutil.which("cage") is None or not Path("/usr/bin/Xwayland").exists() or shutil.which("setpriv") is None
    or os.geteuid() != 0,
    reason="needs cage, Xwayland and root to switch to an unprivileged user (.ci/run installs them)",
)
def test_kiosk_runs_inside_cage_with_the_wayland_driver(installed):
    """cage on wlroots' headless backend: the same compositor a box runs, without a panel."""
    root, paths, _env, _result = installed
    runtime = root / "run"
    runtime.mkdir(mode=0o700, exist_ok=True)
    config = root / "cage.yaml"
    config.write_text(
        (paths["KIOSK_ETC"] / "config.yaml").read_text()
        .replace("contribute_seconds: 12", "contribute_seconds: 0.5")
        .replace("answer_seconds: 8", "answer_seconds: 0.3")
    )
    for path in (runtime, paths["KIOSK_STATE"], config):
        shutil.chown(path, "nobody", "nogroup")
    env = {
        "PATH": "/usr/bin:/bin", "XDG_RUNTIME_DIR": str(runtime), "WLR_BACKENDS": "headless",
        "WLR_RENDERER": "pixman", "WLR_LIBINPUT_NO_DEVICES": "1", "SDL_VIDEODRIVER": "wayland",
    }
    kiosk = paths["KIOSK_PREFIX"] / "venv" / "bin" / "kiosk"
    result = subprocess.run(
        ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "cage", "--",
         str(kiosk), "run", "--config", str(config), "--exit-after", "4"],
        env=env, capture_output=True, text=True, timeout=120,
    )
    log = result.stdout + result.stderr
    assert "video driver wayland" in log, log[-3000:]
    assert len(read_play_log(paths["KIOSK_STATE"])) >= 2, log[-3000:]


@pytest.mark.parametrize("unit", ["kiosk.service", "kiosk-cage.service"])
def test_units_wait_for_no_clock_but_order_after_it_and_reload_on_sighup(unit):
    text = (REPO / "systemd" / unit).read_text()
    after = next(line for line in text.splitlines() if line.startswith("After="))
    assert "time-sync.target" in after
    assert not any(line.startswith(("Wants=", "Requires=")) and "time-sync" in line for line in text.splitlines())
    assert any(line.startswith("ExecReload=") and "HUP" in line for line in text.splitlines())
    assert "ProtectClock=yes" not in text  # it would block reading whether NTP has set the clock
