"""What the sync asks of its server, through a working fake transport: the manifest GET, retries, objects."""

from __future__ import annotations

import dataclasses
import hashlib

import pytest
import requests

from kiosk.app.common import sync_settings
from kiosk.boundary import http
from kiosk.boundary.fetch import Fetcher, SyncSettings
from kiosk.core.config import Config
from kiosk.core.errors import SyncFailed
from kiosk.core.manifest import ManifestError

from .transport import Transport, response

URL = "https://cdn.example.org/plaza/manifest.json"


def settings(**options) -> SyncSettings:
    """A box's settings with a config of defaults, the sync URL and `options` set."""
    return dataclasses.replace(sync_settings(Config()), url=URL, **options)


def fetcher(answer, **options) -> tuple[Fetcher, Transport, list[float]]:
    """A fetcher whose requests `answer` answers; the third item collects the backoff sleeps."""
    transport = Transport(answer)
    slept: list[float] = []
    chosen = settings(**options)
    client = http.Client((chosen.connect_timeout, chosen.read_timeout), "box-secret", session=transport.session())
    return Fetcher(chosen, client, sleep=slept.append, jitter=lambda: 0.5), transport, slept


def test_the_settings_never_show_the_token():
    assert "box-secret" not in repr(settings(token="box-secret"))


def test_the_manifest_is_asked_with_its_validators_and_unchanged_is_none():
    def answer(request):
        if request.headers.get("If-None-Match") == '"v1"':
            return response(request, 304)
        return response(request, 200, b'{"files": []}', {"ETag": '"v1"', "Last-Modified": "Fri, 18 Dec 2026"})

    fetch, transport, _slept = fetcher(answer)
    text, fresh = fetch.manifest({})
    assert text == '{"files": []}' and fresh == {"url": URL, "etag": '"v1"', "last_modified": "Fri, 18 Dec 2026"}
    assert fetch.manifest({"etag": '"v1"', "last_modified": "Fri, 18 Dec 2026"}) is None
    assert transport.sent[1]["headers"]["If-Modified-Since"] == "Fri, 18 Dec 2026"
    assert all(sent["headers"]["Authorization"] == "Bearer box-secret" for sent in transport.sent)


def test_a_manifest_that_is_not_utf8_is_refused():
    fetch, _transport, _slept = fetcher(lambda request: response(request, 200, b"\xff\xfe{}"))
    with pytest.raises(ManifestError, match="not UTF-8"):
        fetch.manifest({})


def test_5xx_and_network_faults_are_retried_with_doubling_backoff_then_named():
    answers = iter([503, "down", 200])

    def answer(request):
        status = next(answers)
        if status == "down":
            raise requests.exceptions.ConnectionError("refused")
        return response(request, status, b"{}")

    fetch, transport, slept = fetcher(answer, retries=2, backoff_seconds=1.0)
    assert fetch.manifest({}) is not None
    assert len(transport.sent) == 3 and slept == [1.0, 2.0]  # backoff x 2^attempt x (0.5 + jitter)

    fetch, transport, slept = fetcher(lambda request: response(request, 502), retries=1, backoff_seconds=1.0)
    with pytest.raises(SyncFailed, match=f"server unreachable after 2 tries: HTTP 502 from {URL}"):
        fetch.manifest({})


def test_a_refused_certificate_is_not_retried():
    def refuse(_request):
        raise requests.exceptions.SSLError("certificate verify failed")

    fetch, transport, slept = fetcher(refuse, retries=3)
    with pytest.raises(SyncFailed, match="TLS: certificate check failed for") as failed:
        fetch.manifest({})
    assert not failed.value.retry and len(transport.sent) == 1 and slept == []


def test_an_object_is_checked_resumed_with_a_range_and_never_longer_than_listed(tmp_path):
    data = b"a photo" * 100
    digest = hashlib.sha256(data).hexdigest()

    def answer(request):
        asked = request.headers.get("Range")
        if asked:
            return response(request, 206, data[int(asked.removeprefix("bytes=").rstrip("-")):])
        return response(request, 200, data)

    fetch, transport, _slept = fetcher(answer)
    (tmp_path / f"{digest}.part").write_bytes(data[:300])
    placed = fetch.download(digest, len(data), tmp_path)
    assert placed.read_bytes() == data and transport.sent[0]["headers"]["Range"] == "bytes=300-"
    assert transport.sent[0]["url"] == f"https://cdn.example.org/plaza/files/{digest}"

    fetch, _transport, _slept = fetcher(lambda request: response(request, 200, data + b"more"))
    placed.unlink()
    with pytest.raises(SyncFailed, match=f"sent more than the {len(data):,} bytes the manifest lists") as failed:
        fetch.download(digest, len(data), tmp_path)
    assert not failed.value.retry and list(tmp_path.iterdir()) == []

    fetch, _transport, _slept = fetcher(lambda request: response(request, 200, b"x" * len(data)))
    with pytest.raises(SyncFailed, match="does not match its sha256"):
        fetch.download(digest, len(data), tmp_path)
    assert list(tmp_path.iterdir()) == []
