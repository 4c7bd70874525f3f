"""Signed publishes for real: nginx serves a forged, a replayed, an expired and a re-signed manifest to a running
kiosk process that pins the root key; it keeps its last good content and says why in status.json and kiosk.prom."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from kiosk.app.cli import main
from kiosk.boundary.publish import publish
from kiosk.boundary.signing import Signer

from .conftest import make_picture
from .servers import Nginx, replace_served
from .test_sync import forge, snapshot

pytestmark = pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx is not installed (.ci/run installs it)")


class SignedPlaza:
    """A publishing machine (keys, source, site on nginx) and one pinned box running `kiosk run`."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="kiosk-trust-"))
        self.root.chmod(0o755)
        self.keys = self.root / "keys"
        assert main(["keys", "init", str(self.keys)]) == 0
        self.key = next(self.keys.glob("publish-*.key"))
        self.source = self.root / "source"
        for index in range(3):
            make_picture(self.source / "answers" / f"a{index}.png", size=(64, 36), colour=(60 * index, 90, 90))
        self.site = self.root / "site"
        self.publish()
        self.nginx = Nginx(self.site)
        self.box = self.root / "box"
        self.box.mkdir()
        (self.box / "config.yaml").write_text(f"""\
slides:
  folder: {self.box / 'slides'}
  settle_seconds: 0.2
state:
  dir: {self.box / 'state'}
timing:
  answer_seconds: 0.4
  transition_seconds: 0.05
sync:
  url: {self.nginx.url}
  interval_seconds: 1
  jitter_seconds: 0.2
  root_key: {self.keys / 'root.pub'}
  trust_unsynchronised_clock: true
box:
  name: signed-box
""", encoding="utf-8")
        self.log_file = open(self.box / "kiosk.log", "w")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "kiosk", "run", "--config", str(self.box / "config.yaml"), "--windowed",
             "--size", "64x36"],
            env=dict(os.environ, SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy"),
            stdout=subprocess.DEVNULL, stderr=self.log_file,
        )

    def publish(self, *extra: str) -> bytes:
        assert main(["publish", str(self.source), "--out", str(self.site), "--key", str(self.key), *extra]) == 0
        for path in self.site.rglob("*"):
            path.chmod(0o755 if path.is_dir() else 0o644)
        self.site.chmod(0o755)
        return (self.site / "manifest.json").read_bytes()

    def serve(self, data: bytes) -> None:
        replace_served(self.site / "manifest.json", data)

    def status(self) -> dict:
        try:
            return json.loads((self.box / "state" / "status.json").read_text())
        except (OSError, ValueError):
            return {}

    def trust(self) -> dict:
        return self.status().get("trust") or {}

    def prom(self) -> str:
        try:
            return (self.box / "state" / "kiosk.prom").read_text()
        except OSError:
            return ""

    def wait(self, predicate, what: str, timeout: float = 60.0) -> None:
        start = time.monotonic()
        while time.monotonic() - start < timeout:
            if predicate():
                return
            time.sleep(0.1)
        raise AssertionError(f"not within {timeout:g} s: {what}\n{(self.box / 'kiosk.log').read_text()[-2000:]}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.nginx.stop()
        self.log_file.close()
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="module")
def plaza():
    running = SignedPlaza()
    try:
        running.wait(lambda: running.trust().get("state") == "accepted"
                     and len(snapshot(running.box / "slides")) == 3, "the first signed manifest accepted")
        yield running
    finally:
        running.stop()


def refused_with(plaza: SignedPlaza, reason: str) -> dict:
    plaza.wait(lambda: plaza.trust().get("state") == "refused" and reason in (plaza.trust().get("refused") or ""),
               f"refused: {reason}")
    plaza.wait(lambda: "kiosk_trust_refused 1" in plaza.prom(), "kiosk_trust_refused 1")
    return plaza.trust()


def has_new(plaza: SignedPlaza) -> bool:
    """Whether the box holds the new photo (published as a rendition: answers/new.webp)."""
    return any(path.startswith("answers/new.") for path in snapshot(plaza.box / "slides"))


def test_forged_replayed_expired_then_resigned(plaza):
    held = snapshot(plaza.box / "slides")
    accepted = plaza.trust()
    assert accepted["pinned"] and accepted["version"] and accepted["refused"] is None
    older = (plaza.site / "manifest.json").read_bytes()

    # A new photo published and accepted: the box holds serial 2's content.
    make_picture(plaza.source / "answers" / "new.png", size=(64, 36), colour=(250, 250, 0))
    good = plaza.publish()
    plaza.wait(lambda: has_new(plaza), "the new photo synced")
    plaza.wait(lambda: plaza.trust().get("version") != accepted["version"], "the new serial in status.json")
    held = snapshot(plaza.box / "slides")
    serial = plaza.trust()["version"]
    assert serial > accepted["version"]

    # Forged: one object's hash changed inside the signed bytes.
    plaza.serve(forge(good))
    trust = refused_with(plaza, "altered or forged")
    assert trust["version"] == serial and trust["refused_at"]
    assert snapshot(plaza.box / "slides") == held

    # Replayed: the older, genuinely signed manifest.
    plaza.serve(older)
    refused_with(plaza, "rollback")
    assert snapshot(plaza.box / "slides") == held

    # Expired: signed properly, with a higher serial, but already past its expiry (and without the new photo).
    (plaza.source / "answers" / "new.png").unlink()
    signer = Signer.from_files(plaza.key)
    plaza.serve(good)  # the publishing machine's own site, as it was before the replay; then eight days back:
    publish(plaza.source, plaza.site, signer=signer, resign=True, clock=lambda: time.time() - 8 * 24 * 3600)
    (plaza.site / "manifest.json").chmod(0o644)
    refused_with(plaza, "expired at")
    assert snapshot(plaza.box / "slides") == held  # the photo stays: its withdrawal came in an expired manifest
    assert plaza.process.poll() is None

    # Re-signed by the timer: accepted, the refusal over, the withdrawal applied.
    plaza.publish("--resign")
    plaza.wait(lambda: plaza.trust().get("state") == "accepted", "the re-signed manifest accepted")
    plaza.wait(lambda: not has_new(plaza), "the withdrawal applied")
    plaza.wait(lambda: "kiosk_trust_refused 0" in plaza.prom(), "kiosk_trust_refused 0")
    assert plaza.trust()["version"] > serial and plaza.trust()["refused"] is None
    assert "kiosk_manifest_serial" in plaza.prom()
    log = (plaza.box / "kiosk.log").read_text()
    for reason in ("altered or forged", "rollback", "expired at"):
        assert "manifest refused, the box keeps its last good content: " in log and reason in log
