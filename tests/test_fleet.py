"""fleet.yaml: one central configuration for the plaza, applied over each box's own, refused whole if wrong."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.boundary.fleetfile import KEPT_FILE, load_box_config, load_fleet
from kiosk.core.config import parse_config
from kiosk.core.errors import ConfigError
from kiosk.core.fleet import parse_fleet
from kiosk.core.sections import SECTIONS, keys

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
    return parse_config(local, Path("/etc/kiosk"), fleet=parse_fleet(fleet_text, Path("/srv/slides")))


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
        parse_fleet(text, Path("/srv"))
    assert refused.value.problems == [
        "fleet.yaml:4: roles.tall-case.display.size: belongs to each box and is set in its own config.yaml, "
        "not centrally",
        "fleet.yaml:6: roles.tall-case.sync.url: belongs to each box and is set in its own config.yaml, not centrally",
    ]


def test_the_same_rules_and_messages_as_config_yaml():
    text = "boxes:\n  b1:\n    timing:\n      answer_secondz: 3\n      contribute_seconds: -1\n"
    with pytest.raises(ConfigError) as refused:
        parse_fleet(text, Path("/srv"))
    assert refused.value.problems[0].startswith("fleet.yaml:4: boxes.b1.timing.answer_secondz: unknown key "
                                                "(did you mean answer_seconds?)")
    assert refused.value.problems[1].startswith("fleet.yaml:5: boxes.b1.timing.contribute_seconds: must be")


def test_only_roles_and_boxes_and_each_name_once():
    with pytest.raises(ConfigError) as refused:
        parse_fleet("groups: {}\nroles:\n  a: {}\n  a: {}\n", Path("/srv"))
    assert [problem.split(": ", 1)[1] for problem in refused.value.problems] == [
        "'groups': unknown section; a fleet file has roles: and boxes:",
        "roles.a: given twice",
    ]


def test_relative_paths_are_relative_to_the_slide_folder():
    fleet = parse_fleet("roles:\n  r:\n    schedule:\n      off_slide: night.png\n", Path("/srv/slides"))
    assert fleet.roles["r"]["schedule"]["off_slide"] == Path("/srv/slides/night.png")


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
        parse_fleet(text, Path("/srv"))
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


def test_a_kept_fleet_file_linked_to_a_device_is_never_read_and_is_written_anew(tmp_path):
    path = box(tmp_path, FLEET)
    (tmp_path / "state").mkdir()
    (tmp_path / "state" / KEPT_FILE).symlink_to("/dev/zero")  # before: read without end at every start
    config, state = load_box_config(path)
    assert config.playlist.kinds == ("answer",) and state.refused == ()
    assert not (tmp_path / "state" / KEPT_FILE).is_symlink()
    assert (tmp_path / "state" / KEPT_FILE).read_text() == FLEET
