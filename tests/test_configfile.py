"""config.yaml as the box reads it: once per load, bounded, never from a FIFO, with the host name."""

from __future__ import annotations

import os
import socket
import sys
import threading
from pathlib import Path

import pytest

from kiosk.boundary.configfile import host_name, load_config, read_config_text
from kiosk.boundary.fleetfile import BoxSources, box_config_from, load_box_config, read_box_sources
from kiosk.core.config import MAX_CONFIG_BYTES, parse_config
from kiosk.core.errors import ConfigError

from .conftest import write_config

# Every file this process opens, while `_watching` holds a list: the interpreter's own audit events, no patching.
_watching: list[list[str]] = []
_lock = threading.Lock()


def _audit(event: str, args: tuple) -> None:
    if event == "open" and _watching and isinstance(args[0], (str, bytes, os.PathLike)):
        with _lock:
            for opened in _watching:
                opened.append(os.fsdecode(args[0]))


sys.addaudithook(_audit)


def opened_during(action) -> list[str]:
    opened: list[str] = []
    _watching.append(opened)
    try:
        action()
    finally:
        _watching.remove(opened)
    return opened


def box_with_fleet(tmp_path: Path, body: str = "box:\n  name: tall-case-1\n  role: tall-case\n") -> Path:
    slides = tmp_path / "slides"
    slides.mkdir(exist_ok=True)
    (slides / "fleet.yaml").write_text("roles:\n  tall-case:\n    timing:\n      answer_seconds: 6\n", encoding="utf-8")
    return write_config(tmp_path, body, slides=slides)


def test_one_load_reads_config_yaml_once_and_the_fleet_file_once(tmp_path):
    path = box_with_fleet(tmp_path)
    loaded = []
    opened = opened_during(lambda: loaded.append(load_box_config(path)))
    config, fleet = loaded[0]
    assert config.timing.answer_seconds == 6 and fleet.refused == ()
    assert opened.count(str(path)) == 1
    assert opened.count(str(tmp_path / "slides" / "fleet.yaml")) == 1


def test_a_load_from_sources_reads_neither_file_again(tmp_path):
    path = box_with_fleet(tmp_path)
    sources = read_box_sources(path)
    assert sources == BoxSources(path.read_text(encoding="utf-8"),
                                 (tmp_path / "slides" / "fleet.yaml").read_text(encoding="utf-8"), host=host_name())
    opened = opened_during(lambda: box_config_from(path, sources))
    assert str(path) not in opened and str(tmp_path / "slides" / "fleet.yaml") not in opened
    # The same sources make the same config: what a watcher compares before it reloads.
    assert box_config_from(path, sources) == box_config_from(path, read_box_sources(path))


def test_the_sources_of_a_config_that_does_not_parse_are_read_and_its_problems_said_when_applied(tmp_path):
    path = write_config(tmp_path, "timing:\n  answer_seconds: -1\n")
    sources = read_box_sources(path)
    assert sources.fleet is None and "answer_seconds: -1" in sources.config
    with pytest.raises(ConfigError, match="timing.answer_seconds: must be a number of seconds"):
        box_config_from(path, sources)


def test_an_unreadable_fleet_file_is_refused_in_the_sources_and_the_box_keeps_its_own_config(tmp_path):
    path = box_with_fleet(tmp_path)
    fleet = tmp_path / "slides" / "fleet.yaml"
    fleet.unlink()
    os.mkfifo(fleet)
    sources = read_box_sources(path)
    assert sources.fleet is None and "not a regular file" in sources.fleet_refused[0]
    config, state = box_config_from(path, sources)
    assert config.timing.answer_seconds == 8 and state.refused == sources.fleet_refused


def test_a_config_yaml_that_is_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path):
    path = tmp_path / "config.yaml"
    os.mkfifo(path)
    with pytest.raises(ConfigError, match="config.yaml: cannot be the config file: not a regular file"):
        read_config_text(path)


def test_a_config_yaml_may_be_a_link_to_a_regular_file(tmp_path):
    target = write_config(tmp_path, "timing:\n  answer_seconds: 5\n")
    link = tmp_path / "etc" / "config.yaml"
    link.parent.mkdir()
    link.symlink_to(target)
    assert load_config(link).timing.answer_seconds == 5


def test_a_config_yaml_over_the_limit_is_refused_after_reading_no_more_than_the_limit(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_bytes(b"# " + b"x" * MAX_CONFIG_BYTES + b"\n")
    with pytest.raises(ConfigError, match=r"over the limit of 1,048,576 bytes for a config file"):
        read_config_text(path)


def test_a_missing_config_yaml_is_named(tmp_path):
    with pytest.raises(ConfigError, match="nope.yaml: config file not found"):
        load_box_config(tmp_path / "nope.yaml")


def test_an_empty_box_name_is_the_host_name_and_the_fleet_file_finds_the_box_by_it(tmp_path):
    slides = tmp_path / "slides"
    slides.mkdir()
    (slides / "fleet.yaml").write_text(f"boxes:\n  {socket.gethostname()}:\n    timing:\n      answer_seconds: 3\n",
                                       encoding="utf-8")
    config, _fleet = load_box_config(write_config(tmp_path, "box:\n  name:\n", slides=slides))
    assert config.box.name == socket.gethostname() and config.timing.answer_seconds == 3


def test_the_core_takes_the_host_name_it_is_given_and_never_asks():
    def named(text: str, **given) -> str:
        return parse_config(text, Path("/etc/kiosk"), host_name="plaza-7", **given).box.name

    assert named("") == "plaza-7"
    assert named("box:\n  name: giant-box-1\n") == "giant-box-1"
    assert named("", as_box="tall-case-2") == "tall-case-2"


def test_paths_in_a_home_folder_are_completed_by_the_boundary(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    config = load_config(write_config(tmp_path, "sync:\n  token_file: ~/token\n"))
    assert config.sync.token_file == tmp_path / "home" / "token"
    # The core leaves them as given: it knows no home folder.
    assert parse_config("sync:\n  token_file: ~/token\n", Path("/etc/kiosk")).sync.token_file == Path("~/token")


def test_a_home_folder_of_no_user_is_a_config_error_naming_the_key(tmp_path):
    with pytest.raises(ConfigError, match=r"sync.token_file: no home folder for '~no-such-user-kiosk'"):
        load_config(write_config(tmp_path, "sync:\n  token_file: ~no-such-user-kiosk/token\n"))


def test_a_zone_the_tz_database_lacks_is_a_config_error_while_the_core_checks_only_its_shape(tmp_path):
    text = "schedule:\n  timezone: Europe/Atlantis\n"
    assert parse_config(text, tmp_path).schedule.timezone == "Europe/Atlantis"  # a well-formed name
    with pytest.raises(ConfigError) as refused:
        load_config(write_config(tmp_path, text))
    assert refused.value.problems == [f"{tmp_path / 'config.yaml'}: schedule.timezone: unknown time zone "
                                      "'Europe/Atlantis'; use an IANA name like Asia/Seoul (see timedatectl "
                                      "list-timezones)"]
    with pytest.raises(ConfigError, match="must be an IANA time zone name"):
        parse_config("schedule:\n  timezone: ../../etc/passwd\n", tmp_path)
    assert load_config(write_config(tmp_path, "schedule:\n  timezone: Etc/GMT-9\n")).schedule.timezone == "Etc/GMT-9"
