"""The sync client against real servers on loopback: nginx, and one that injects faults."""

import dataclasses
import functools
import hashlib
import json
import logging
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

from kiosk.app.common import sync_settings
from kiosk.boundary.fetch import SyncSettings
from kiosk.boundary.mirror import STAGING
from kiosk.boundary.publish import OBJECTS, publish
from kiosk.boundary.sync import SyncClient
from kiosk.core.config import Config

from .conftest import make_picture
from .servers import FaultServer, Nginx, free_port, replace_served

needs_nginx = pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx is not installed (.ci/run installs it)")


def snapshot(folder: Path) -> dict[str, str]:
    """Every slide and sidecar under the kind folders, by path: what the kiosk can show."""
    result = {}
    for top in ("contribute", "answers"):
        for path in sorted((folder / top).rglob("*")) if (folder / top).exists() else []:
            if path.is_file():
                result[str(path.relative_to(folder))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return result


@pytest.fixture
def site():
    # Outside pytest's private tmp folder: nginx's workers must be able to read it.
    root = Path(tempfile.mkdtemp(prefix="kiosk-site-"))
    root.chmod(0o755)
    source = root / "source"
    make_picture(source / "contribute" / "c1.png", colour=(200, 0, 0))
    make_picture(source / "contribute" / "c2.png", colour=(0, 200, 0))
    for index in range(4):
        make_picture(source / "answers" / f"a{index}.jpg", size=(900, 700), colour=(40 * index, 90, 90))
    (source / "answers" / "a0.yaml").write_text("caption: 이주란 희망\n", encoding="utf-8")
    publish(source, root / "site")
    for path in (root / "site").rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    yield root / "source", root / "site"
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def nginx(site):
    if shutil.which("nginx") is None:
        pytest.skip("nginx is not installed (.ci/run installs it)")
    server = Nginx(site[1])
    yield server
    server.stop()


@pytest.fixture
def faulty(site):
    server = FaultServer(site[1])
    yield server
    server.stop()


def settings(url: str, **options) -> SyncSettings:
    """The settings a box with a config of defaults would use, with `url` and `options` set."""
    return dataclasses.replace(sync_settings(Config()), url=url, **options)


def client(url, box: Path, **options) -> SyncClient:
    options = {"retries": 2, "backoff_seconds": 0.01, "connect_timeout": 2, "read_timeout": 2, **options}
    return SyncClient(settings(url, **options), box / "slides", box / "state", sleep=lambda _s: None)


# --- against nginx ---------------------------------------------------------------


@needs_nginx
def test_first_sync_fetches_everything_and_the_folder_matches(nginx, site, tmp_path):
    source, _site = site
    result = client(nginx.url, tmp_path).sync_once()
    assert result.ok and result.downloaded == 7, result.reason
    assert snapshot(tmp_path / "slides") == snapshot(source)
    assert not (tmp_path / "slides" / STAGING).exists()


@needs_nginx
def test_nothing_changed_is_one_small_request(nginx, tmp_path):
    box = client(nginx.url, tmp_path)
    box.sync_once()
    before = len(nginx.requests())
    result = box.sync_once()
    assert result.ok and result.downloaded == 0
    assert nginx.requests()[before:] == ["GET /manifest.json 304"]


@needs_nginx
def test_an_unchanged_minute_writes_nothing_to_disk(nginx, tmp_path):
    box = client(nginx.url, tmp_path)
    box.sync_once()
    box.sync_once()  # the first sync's index is rebuilt once from the placed files
    written = {path.name: path.stat().st_mtime_ns for path in (tmp_path / "state").iterdir()}
    inodes = {path.name: path.stat().st_ino for path in (tmp_path / "state").iterdir()}
    assert box.sync_once().ok
    assert {path.name: path.stat().st_mtime_ns for path in (tmp_path / "state").iterdir()} == written
    assert {path.name: path.stat().st_ino for path in (tmp_path / "state").iterdir()} == inodes
    (tmp_path / "slides" / "answers" / "extra.jpg").write_bytes(b"added by hand")
    # A 304 is all a check costs; the folder itself is checked every VERIFY_EVERY checks,
    # and then the mirror notices the change.
    from kiosk.boundary.sync import VERIFY_EVERY

    results = [box.sync_once() for _ in range(VERIFY_EVERY + 1)]
    assert results[0].reason == "unchanged"  # not seen by the next check...
    assert sum(r.removed for r in results) == 1  # ...but within VERIFY_EVERY of them
    assert not (tmp_path / "slides" / "answers" / "extra.jpg").exists()


@needs_nginx
def test_incremental_update_adds_before_it_removes(nginx, site, tmp_path):
    source, site_dir = site
    box = client(nginx.url, tmp_path)
    box.sync_once()
    make_picture(source / "answers" / "new.jpg", colour=(1, 2, 3))
    (source / "answers" / "a3.jpg").unlink()
    publish(source, site_dir)
    for path in site_dir.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    before = len(nginx.requests())
    result = box.sync_once()
    assert result.ok and result.downloaded == 1 and result.removed == 1
    object_requests = [r for r in nginx.requests()[before:] if "/files/" in r]
    assert len(object_requests) == 1  # only the new file travels
    assert snapshot(tmp_path / "slides") == snapshot(source)


@needs_nginx
def test_a_renamed_file_is_copied_locally_not_downloaded(nginx, site, tmp_path):
    source, site_dir = site
    box = client(nginx.url, tmp_path)
    box.sync_once()
    (source / "answers" / "a2.jpg").rename(source / "answers" / "renamed.jpg")
    publish(source, site_dir)
    for path in site_dir.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    before = len(nginx.requests())
    assert box.sync_once().ok
    assert [r for r in nginx.requests()[before:] if "/files/" in r] == []
    assert snapshot(tmp_path / "slides") == snapshot(source)


@needs_nginx
def test_an_interrupted_download_resumes_with_range(nginx, site, tmp_path):
    source, site_dir = site
    manifest = json.loads((site_dir / "manifest.json").read_text())
    big = max(manifest["files"], key=lambda f: f["size"])
    staging = tmp_path / "slides" / STAGING
    staging.mkdir(parents=True)
    data = (site_dir / OBJECTS / big["sha256"]).read_bytes()
    (staging / f"{big['sha256']}.part").write_bytes(data[: len(data) // 2])
    assert client(nginx.url, tmp_path).sync_once().ok
    assert f"GET /files/{big['sha256']} 206" in nginx.requests()
    assert snapshot(tmp_path / "slides") == snapshot(source)


@needs_nginx
def test_two_boxes_converge_and_a_publish_mid_download_breaks_neither(site, tmp_path):
    source, site_dir = site
    slow = FaultServer(site_dir)
    slow.faults["throttle"] = 0.02  # objects trickle in, 16 KB at a time
    try:
        results = {}

        def sync(name):
            results[name] = client(slow.url, tmp_path / name).sync_once()

        boxes = [threading.Thread(target=sync, args=(name,)) for name in ("box1", "box2")]
        for box in boxes:
            box.start()
        time.sleep(0.3)
        make_picture(source / "answers" / "late.jpg", colour=(9, 9, 9))
        (source / "answers" / "a1.jpg").unlink()
        publish(source, site_dir)  # a new manifest while both boxes are downloading
        for box in boxes:
            box.join(60)
        assert results["box1"].ok and results["box2"].ok, (results["box1"].reason, results["box2"].reason)
        slow.faults.clear()
        for name in ("box1", "box2"):
            assert client(slow.url, tmp_path / name).sync_once().ok
        assert snapshot(tmp_path / "box1" / "slides") == snapshot(tmp_path / "box2" / "slides") == snapshot(source)
    finally:
        slow.stop()


# --- faults: each leaves the folder as it was ------------------------------------


@pytest.fixture
def synced(faulty, tmp_path):
    """A box that has synced once; returns its client and its folder's snapshot."""
    box = client(faulty.url, tmp_path)
    assert box.sync_once().ok
    return box, snapshot(tmp_path / "slides")


def republish_with_new_file(site):
    """Adds a photo of a few hundred kilobytes (noise compresses badly) and publishes."""
    import io
    import random

    from PIL import Image

    source, site_dir = site
    noise = Image.frombytes("RGB", (640, 480), random.Random(1).randbytes(640 * 480 * 3))
    buffer = io.BytesIO()
    noise.save(buffer, format="JPEG", quality=90)
    (source / "answers" / "fresh.jpg").write_bytes(buffer.getvalue())
    publish(source, site_dir)


@pytest.mark.parametrize(
    "faults, reason",
    [
        ({"manifest_status": 500}, "HTTP 500"),
        ({"manifest_status": 404}, "HTTP 404"),
        ({"manifest_body": b"{garbage"}, "manifest refused"),
        ({"manifest_body": json.dumps({"version": "x", "generated": "t", "files": [
            {"path": "../../etc/evil.jpg", "sha256": "a" * 64, "size": 1}]}).encode()}, "manifest refused"),
        ({"manifest_body": json.dumps({"version": "x", "generated": "t", "files": [
            {"path": "answers/huge.jpg", "sha256": "a" * 64, "size": 10**12}]}).encode()}, "max_file_bytes"),
        ({"object_status": 500}, "HTTP 500"),
        ({"wrong_bytes": True}, "does not match its sha256"),
        ({"cut_objects_after": 1000}, ""),
        ({"slow_seconds": 3}, "ReadTimeout"),
    ],
)
def test_faults_leave_the_folder_unchanged(synced, faulty, site, tmp_path, faults, reason):
    box, before = synced
    republish_with_new_file(site)
    faulty.faults.update(faults)
    result = box.sync_once()
    assert not result.ok
    assert reason in result.reason
    assert "\n" not in result.reason
    assert snapshot(tmp_path / "slides") == before


def test_server_down_leaves_the_folder_unchanged(synced, faulty, site, tmp_path):
    box, before = synced
    down = client(f"http://127.0.0.1:{free_port()}/manifest.json", tmp_path)
    result = down.sync_once()
    assert not result.ok and "unreachable" in result.reason
    assert snapshot(tmp_path / "slides") == before


def test_a_connection_cut_once_is_resumed(synced, faulty, site, tmp_path):
    box, _before = synced
    republish_with_new_file(site)
    faulty.faults.update(cut_objects_after=150_000, cut_times=1)
    result = box.sync_once()
    assert result.ok, result.reason
    ranges = [headers.get("Range") for _path, headers in faulty.seen if headers.get("Range")]
    assert ranges and int(ranges[0][6:].rstrip("-")) >= 65536  # it went on from what it had
    assert "answers/fresh.jpg" in snapshot(tmp_path / "slides")


def test_server_ignoring_range_still_works(synced, faulty, site, tmp_path):
    box, _before = synced
    republish_with_new_file(site)
    faulty.faults.update(cut_objects_after=2000, cut_times=1, ignore_range=True)
    assert box.sync_once().ok


def test_bearer_token_is_sent_and_never_logged(faulty, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    faulty.faults["need_token"] = "s3cret-token"
    assert not client(faulty.url, tmp_path / "a").sync_once().ok
    result = client(faulty.url, tmp_path / "b", token="s3cret-token").sync_once()
    assert result.ok
    assert "s3cret-token" not in caplog.text
    assert "s3cret-token" not in repr(settings(faulty.url, token="s3cret-token"))


def test_https_certificates_are_checked(tmp_path):
    """A TLS server with a self-signed certificate is refused unless its CA is configured."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    import http.server
    import ssl

    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )
    site = tmp_path / "site"
    make_picture(tmp_path / "src" / "answers" / "a.jpg")
    publish(tmp_path / "src", site)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        url = f"https://127.0.0.1:{httpd.server_address[1]}/manifest.json"
        refused = client(url, tmp_path / "untrusting").sync_once()
        assert not refused.ok and "certificate" in refused.reason
        trusted = client(url, tmp_path / "trusting", ca_bundle=str(cert)).sync_once()
        assert trusted.ok, trusted.reason
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_sync_once_command_exit_codes(faulty, tmp_path):
    from .conftest import write_config

    config = write_config(tmp_path, f"sync:\n  url: {faulty.url}\n  retries: 0\n", slides=tmp_path / "slides")
    ok = subprocess.run([sys.executable, "-m", "kiosk", "sync", "--once", "--config", str(config)],
                        capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0 and ok.stdout.startswith("sync ok"), ok.stdout + ok.stderr
    faulty.faults["manifest_status"] = 503
    failed = subprocess.run([sys.executable, "-m", "kiosk", "sync", "--once", "--config", str(config)],
                            capture_output=True, text=True, timeout=60)
    assert failed.returncode == 1
    assert len(failed.stdout.strip().splitlines()) == 1 and "HTTP 503" in failed.stdout


# --- under attack and under fault ----------------------------------------------------

import gzip
import os
import queue as queue_module

from kiosk.boundary.sync import SyncThread


def test_sync_never_deletes_through_a_link_to_outside(faulty, tmp_path):
    outside = tmp_path / "private"
    for index in range(4):
        make_picture(outside / f"p{index}.jpg")
    box = tmp_path / "box"
    (box / "slides" / "answers").mkdir(parents=True)
    os.symlink(outside, box / "slides" / "answers" / "archive")
    result = client(faulty.url, box).sync_once()
    assert result.ok and result.removed == 0
    assert sorted(p.name for p in outside.iterdir()) == ["p0.jpg", "p1.jpg", "p2.jpg", "p3.jpg"]


def test_a_link_inside_the_folder_neither_flaps_nor_loses_slides(faulty, tmp_path):
    box = tmp_path / "box"
    first = client(faulty.url, box).sync_once()
    assert first.ok
    os.symlink("../contribute", box / "slides" / "answers" / "featured")
    before = snapshot(box / "slides")
    for _ in range(3):
        result = client(faulty.url, box).sync_once()
        assert result.ok and result.downloaded == 0 and result.removed == 0, result.line()
    assert snapshot(box / "slides") == before


def test_a_manifest_path_through_a_local_link_is_refused_before_any_change(faulty, site, tmp_path):
    source, site_dir = site
    make_picture(source / "answers" / "featured" / "x.jpg")
    publish(source, site_dir)
    box = tmp_path / "box"
    elsewhere = box / "slides" / "contribute"
    elsewhere.mkdir(parents=True)
    (box / "slides" / "answers").mkdir()
    os.symlink(elsewhere, box / "slides" / "answers" / "featured")
    result = client(faulty.url, box).sync_once()
    assert not result.ok and "answers/featured is a link; the sync never writes through links" in result.reason
    assert list(elsewhere.iterdir()) == []


def test_a_gzip_bomb_manifest_is_cut_off_at_the_cap(faulty, tmp_path):
    member = gzip.compress(b"\0" * (1024 * 1024), compresslevel=9)
    faulty.faults["manifest_gzip"] = member * 2000  # 2 MB on the wire, 2 GB unpacked
    result = client(faulty.url, tmp_path / "box").sync_once()
    assert not result.ok and "manifest larger than 67,108,864 bytes" in result.reason


def test_a_trickled_manifest_is_cut_off_at_its_deadline(faulty, tmp_path):
    faulty.faults["manifest_trickle"] = 0.2
    result = client(faulty.url, tmp_path / "box", read_timeout=1, connect_timeout=1, manifest_seconds=1).sync_once()
    assert not result.ok and "took longer than 3 s; cut off" in result.reason


def test_a_trickled_photo_is_cut_off_at_its_deadline(faulty, tmp_path):
    faulty.faults["object_trickle"] = 0.2
    box = tmp_path / "box"
    result = client(faulty.url, box, read_timeout=1, connect_timeout=1, retries=0,
                    min_bytes_per_second=10**9).sync_once()
    assert not result.ok and "took longer than 2 s; cut off" in result.reason
    assert snapshot(box / "slides") == {}


def test_an_endless_photo_stops_at_its_listed_size_and_leaves_no_junk(faulty, tmp_path):
    faulty.faults["endless"] = True
    box = tmp_path / "box"
    result = client(faulty.url, box).sync_once()
    assert not result.ok and "sent more than the" in result.reason and "bytes the manifest lists" in result.reason
    staging = box / "slides" / STAGING
    assert not staging.exists() or sum(p.stat().st_size for p in staging.rglob("*") if p.is_file()) == 0


def test_a_manifest_larger_than_the_free_space_is_refused_before_downloading(faulty, tmp_path):
    box = tmp_path / "box"
    sync = SyncClient(
        settings(faulty.url, retries=0, reserve_bytes=1024 * 1024),
        box / "slides", box / "state", sleep=lambda _s: None, disk_free=lambda _folder: 1024 * 1024 + 100,
    )
    result = sync.sync_once()
    assert not result.ok and "not enough disk space" in result.reason and "nothing changed" in result.reason
    assert not any(path.endswith("files/") or "/files/" in path for path, _headers in faulty.seen)
    assert not (box / "slides" / STAGING).exists()


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a small filesystem needs root")
def test_on_a_3_mb_filesystem_the_sync_keeps_the_reserve_and_cleans_up(faulty, site, tmp_path):
    source, site_dir = site
    for index in range(4):
        (source / "answers" / f"big{index}.jpg").write_bytes(os.urandom(1024 * 1024))
    publish(source, site_dir)
    mount = tmp_path / "small"
    mount.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mount)]).returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    try:
        patient = {"read_timeout": 15.0, "connect_timeout": 5.0}  # a loaded machine must not turn this into a timeout
        sync = client(faulty.url, mount, reserve_bytes=512 * 1024, read_timeout=15, connect_timeout=5)
        result = sync.sync_once()
        assert not result.ok and "not enough disk space" in result.reason, result.line()
        (mount / "state").mkdir(exist_ok=True)
        (mount / "state" / "probe").write_bytes(b"x" * 100_000)  # the reserve is there for the state
        # A check that is fooled (another writer fills the disk meanwhile): the disk really fills up.
        sync = SyncClient(
            settings(faulty.url, retries=0, reserve_bytes=0, **patient), mount / "slides", mount / "state",
            sleep=lambda _s: None, disk_free=lambda _folder: 10**12,
        )
        result = sync.sync_once()
        assert not result.ok and "disk is full" in result.reason, result.line()
        assert not (mount / "slides" / STAGING).exists()
        usage = os.statvfs(mount)
        assert usage.f_bavail * usage.f_frsize > 1024 * 1024  # the partial download was removed
    finally:
        subprocess.run(["umount", "-l", str(mount)])


def test_a_deeply_nested_manifest_is_a_counted_failure(faulty, tmp_path):
    faulty.faults["manifest_body"] = b'{"files": ' + b"[" * 5000 + b"]" * 5000 + b"}"
    inbox: queue_module.Queue = queue_module.Queue()
    thread = SyncThread(client(faulty.url, tmp_path / "box"), inbox, 300, 0)
    result = thread.poll_once()
    assert not result.ok and "nested too deeply" in result.reason
    assert inbox.get_nowait().result.ok is False


def test_a_local_folder_named_like_a_manifest_file_refuses_the_sync_whole(faulty, tmp_path):
    box = tmp_path / "box"
    (box / "slides" / "answers" / "a2.jpg").mkdir(parents=True)
    result = client(faulty.url, box).sync_once()
    assert not result.ok and "answers/a2.jpg is a folder where the manifest has a file" in result.reason
    assert snapshot(box / "slides") == {}  # nothing half-applied
    (box / "slides" / "answers" / "a2.jpg").rmdir()
    assert client(faulty.url, box).sync_once().ok


def test_two_syncs_at_once_do_not_share_the_staging_folder(faulty, tmp_path):
    box = tmp_path / "box"
    faulty.faults["throttle"] = 0.05
    results = {}
    first = threading.Thread(target=lambda: results.update(first=client(faulty.url, box).sync_once()))
    first.start()
    deadline = time.monotonic() + 10
    while not (box / "slides" / STAGING).exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    second = client(faulty.url, box).sync_once()
    first.join(30)
    assert results["first"].ok
    assert not second.ok and "another sync of this folder is running" in second.reason


def test_a_new_box_with_nothing_to_show_syncs_at_once(faulty, tmp_path):
    inbox: queue_module.Queue = queue_module.Queue()
    thread = SyncThread(client(faulty.url, tmp_path / "box"), inbox, 3600, 3600, rng=lambda: 1.0)
    thread.start()
    try:
        assert inbox.get(timeout=20).result.ok
    finally:
        thread.stop()


def test_a_download_does_not_storm_the_folder_watcher(faulty, site, tmp_path):
    from kiosk.boundary.folderwatch import FolderWatcher

    source, site_dir = site
    (source / "answers" / "big.jpg").write_bytes(os.urandom(3 * 1024 * 1024))
    publish(source, site_dir)
    box = tmp_path / "box"
    client(faulty.url, box).sync_once()  # everything but what comes next
    (source / "answers" / "big2.jpg").write_bytes(os.urandom(3 * 1024 * 1024))
    publish(source, site_dir)
    watcher = FolderWatcher(box / "slides", queue_module.Queue(), settle_seconds=0.05, rescan_seconds=3600)
    watcher.accept_initial()
    watcher.start()
    try:
        faulty.faults["throttle"] = 0.01  # 190 chunks of 16 KB, each a write event in .kiosk-sync/
        assert client(faulty.url, box).sync_once().ok
        time.sleep(0.5)
    finally:
        watcher.stop()
    # No listing of the folder at all: the paths named by the notifications are looked at, a few times.
    assert watcher.listings == 0 and 1 <= watcher.looks <= 8, (watcher.listings, watcher.looks)


# --- signed manifests: a box that pins a root key --------------------------------------------


class Campaign:
    """The campaign's keys, and a publish of the site signed with them at a chosen time."""

    def __init__(self, source: Path, site: Path, keys: Path) -> None:
        import datetime as dt

        from kiosk.boundary.signing import Signer, new_private_key, public_bytes, sign_key_list, write_public_key
        from kiosk.core.trust import KeyList, key_id

        self.source, self.site = source, site
        keys.mkdir(mode=0o700)
        root, key = new_private_key(), new_private_key()
        write_public_key(keys / "root.pub", root)
        self.root_pub = keys / "root.pub"
        key_list = KeyList(1, dt.datetime(2099, 1, 1, tzinfo=dt.timezone.utc),
                           {key_id(public_bytes(key)): public_bytes(key)})
        self.signer = Signer(key, sign_key_list(root, key_list), key_list, dt.timedelta(days=7))

    def publish(self, at: float | None = None, resign: bool = True) -> bytes:
        publish(self.source, self.site, signer=self.signer, resign=resign,
                clock=(lambda: at) if at is not None else time.time)
        (self.site / "manifest.json").chmod(0o644)
        for path in (self.site / OBJECTS).iterdir():
            path.chmod(0o644)
        return (self.site / "manifest.json").read_bytes()

    def serve(self, data: bytes) -> None:
        replace_served(self.site / "manifest.json", data)


class Wall:
    """The box's wall clock, as an aware datetime that tests move on."""

    def __init__(self) -> None:
        import datetime as dt

        self.now = dt.datetime.now(dt.timezone.utc)

    def __call__(self):
        return self.now


@pytest.fixture
def campaign(site, tmp_path):
    source, site_folder = site
    signed = Campaign(source, site_folder, tmp_path / "keys")
    signed.publish()
    return signed


def pinned(url, box: Path, campaign: Campaign, wall=None, synchronised=lambda: True) -> SyncClient:
    options = {"retries": 0, "backoff_seconds": 0.01, "connect_timeout": 2, "read_timeout": 2,
               "root_key": str(campaign.root_pub)}
    return SyncClient(settings(url, **options), box / "slides", box / "state", sleep=lambda _s: None,
                      wall=wall or Wall(), synchronised=synchronised)


def forge(data: bytes) -> bytes:
    """The envelope with one photo's hash in the signed manifest changed, the signature kept."""
    import base64

    envelope = json.loads(data)
    body = base64.b64decode(envelope["manifest"]["body"])
    manifest = json.loads(body)
    manifest["files"][0]["sha256"] = "0" * 64
    envelope["manifest"]["body"] = base64.b64encode(json.dumps(manifest).encode()).decode()
    return json.dumps(envelope).encode()


def own_keys(data: bytes) -> bytes:
    """The manifest, a serial higher, signed by the attacker's own root and publish key."""
    import base64
    import datetime as dt

    from kiosk.boundary.signing import Signer, new_private_key, public_bytes, sign_key_list
    from kiosk.core.trust import KeyList, key_id

    root, key = new_private_key(), new_private_key()
    key_list = KeyList(9, dt.datetime(2099, 1, 1, tzinfo=dt.timezone.utc),
                       {key_id(public_bytes(key)): public_bytes(key)})
    manifest = json.loads(base64.b64decode(json.loads(data)["manifest"]["body"]))
    manifest["serial"] += 1000
    return Signer(key, sign_key_list(root, key_list), key_list).envelope(json.dumps(manifest).encode()).to_bytes()


@needs_nginx
def test_a_pinned_box_applies_a_signed_manifest_and_keeps_its_serial(nginx, campaign, tmp_path):
    box = pinned(nginx.url, tmp_path, campaign)
    result = box.sync_once()
    assert result.ok and result.downloaded == 7, result.reason
    assert result.trust["pinned"] and result.trust["state"] == "accepted" and result.trust["version"] > 0
    kept = json.loads((tmp_path / "state" / "sync.json").read_text())["trust"]
    assert kept["serial"] == result.trust["version"] and kept["expires"] == result.trust["expires"]


@needs_nginx
@pytest.mark.parametrize("attack, reason", [
    (lambda campaign, good: forge(good), "altered or forged"),
    (lambda campaign, good: json.dumps({"version": "x", "generated": "2026-12-18T00:00:00Z", "files": []}).encode(),
     "unsigned"),
    (lambda campaign, good: own_keys(good), "not signed by the pinned root key"),
])
def test_a_forged_or_unsigned_manifest_changes_nothing_and_is_reported(nginx, campaign, tmp_path, caplog, attack,
                                                                       reason):
    box = pinned(nginx.url, tmp_path, campaign)
    good = (campaign.site / "manifest.json").read_bytes()
    box.sync_once()
    before = snapshot(tmp_path / "slides")
    campaign.serve(attack(campaign, good))
    result = box.sync_once()
    assert not result.ok and "manifest refused, nothing changed" in result.reason and reason in result.reason
    assert result.trust["state"] == "refused" and reason in result.trust["refused"] and result.trust["refused_at"]
    assert result.trust["version"] is not None  # the last accepted one, still shown
    assert snapshot(tmp_path / "slides") == before
    assert caplog.text.count("manifest refused, the box keeps its last good content") == 1
    box.sync_once()
    assert caplog.text.count("manifest refused, the box keeps its last good content") == 1  # said once


@needs_nginx
def test_a_refused_manifest_is_not_downloaded_again_every_round(nginx, campaign, tmp_path):
    box = pinned(nginx.url, tmp_path, campaign)
    box.sync_once()
    campaign.serve(forge((campaign.site / "manifest.json").read_bytes()))
    assert not box.sync_once().ok
    before = len(nginx.requests())
    result = box.sync_once()
    assert not result.ok and result.trust["state"] == "refused"
    assert nginx.requests()[before:] == ["GET /manifest.json 304"]


@needs_nginx
def test_a_replayed_older_manifest_is_refused_even_after_a_restart(nginx, campaign, tmp_path):
    old = (campaign.site / "manifest.json").read_bytes()
    make_picture(campaign.source / "answers" / "new.png", size=(30, 20))
    campaign.publish()
    box = pinned(nginx.url, tmp_path, campaign)
    assert box.sync_once().ok
    held = snapshot(tmp_path / "slides")
    assert "answers/new.png" in held
    campaign.serve(old)
    for client_now in (box, pinned(nginx.url, tmp_path, campaign)):  # the same process, and a restarted one
        result = client_now.sync_once()
        assert not result.ok and "rollback" in result.reason, result.reason
        assert snapshot(tmp_path / "slides") == held


@needs_nginx
def test_an_expired_manifest_is_refused_once_the_clock_is_synchronised(nginx, campaign, tmp_path):
    campaign.publish(at=time.time() - 8 * 24 * 3600)  # signed eight days ago, valid for seven
    unsure = pinned(nginx.url, tmp_path / "unsure", campaign, synchronised=lambda: False)
    result = unsure.sync_once()
    assert result.ok and result.trust["state"] == "accepted", result.reason
    box = pinned(nginx.url, tmp_path / "box", campaign)
    result = box.sync_once()
    assert not result.ok and "expired at" in result.reason
    assert not (tmp_path / "box" / "slides" / "answers").exists()
    campaign.publish()  # the re-signing timer runs again
    result = box.sync_once()
    assert result.ok and result.trust["state"] == "accepted" and result.trust["refused"] is None


@needs_nginx
def test_a_server_that_keeps_saying_unchanged_cannot_freeze_a_box_past_expiry(nginx, campaign, tmp_path):
    import datetime as dt

    wall = Wall()
    box = pinned(nginx.url, tmp_path, campaign, wall=wall)
    assert box.sync_once().ok
    assert box.sync_once().reason == "unchanged"
    wall.now += dt.timedelta(days=8)
    before = len(nginx.requests())
    result = box.sync_once()
    assert nginx.requests()[before:] == ["GET /manifest.json 304"]
    assert not result.ok and "expired" in result.reason and result.trust["state"] == "refused"


@needs_nginx
def test_a_root_key_file_others_can_write_refuses_everything(nginx, campaign, tmp_path):
    campaign.root_pub.chmod(0o666)
    result = pinned(nginx.url, tmp_path, campaign).sync_once()
    assert not result.ok and "writable by its group or by anyone" in result.reason
    assert result.trust["state"] == "refused"


@needs_nginx
def test_a_box_without_a_root_key_takes_signed_and_unsigned_manifests(nginx, campaign, site, tmp_path):
    result = client(nginx.url, tmp_path).sync_once()
    assert result.ok and result.downloaded == 7
    assert result.trust == {"pinned": False, "state": "unpinned", "version": None, "expires": None,
                            "refused": None, "refused_at": None}
    publish(site[0], site[1])  # unsigned again
    assert client(nginx.url, tmp_path).sync_once().ok


@needs_nginx
def test_a_record_another_process_kept_under_a_newer_key_list_is_never_undone(nginx, campaign, tmp_path):
    """`kiosk sync --once` beside the running kiosk accepted a rotated key list (its serials start anew,
    lower): the running box must take that record, not write its own older key list version back."""
    box = pinned(nginx.url, tmp_path, campaign)
    assert box.sync_once().ok
    state_file = tmp_path / "state" / "sync.json"
    state = json.loads(state_file.read_text())
    state["trust"] = dict(state["trust"], keys_version=state["trust"]["keys_version"] + 1,
                          serial=state["trust"]["serial"] - 1)
    state_file.write_text(json.dumps(state))
    campaign.serve((campaign.site / "manifest.json").read_bytes())  # the old list's manifest, asked for again
    result = box.sync_once()
    assert not result.ok and "key list rollback" in result.reason
    assert json.loads(state_file.read_text())["trust"]["keys_version"] == state["trust"]["keys_version"]
