import dataclasses
from pathlib import Path

import pytest
import yaml

from kiosk.boundary.configfile import host_name, load_config
from kiosk.core.config import SECTIONS, Config, keys, parse_config
from kiosk.core.sections import TimingConfig
from kiosk.core.rules import colour as parse_colour, size as parse_size
from kiosk.core.errors import ConfigError

from .conftest import REPO


def parse(text: str, base: Path = Path("/base")) -> Config:
    return parse_config(text, base, source="config.yaml")


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse(text)
    return caught.value.problems


def test_empty_file_gives_defaults():
    config = parse("")
    assert config.timing.answer_seconds == 8.0
    assert config.display.fit == "blur"


def test_values_are_converted_and_frozen():
    config = parse("timing:\n  answer_seconds: 2.5\ndisplay:\n  size: [800, 600]\n  background: '#102030'\n")
    assert config.timing.answer_seconds == 2.5
    assert config.display.size == (800, 600)
    assert config.display.background == (16, 32, 48)
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.timing.answer_seconds = 1  # type: ignore[misc]  # a frozen field: the write must fail, as tested


def test_relative_paths_resolve_against_the_config_folder():
    config = parse("slides:\n  folder: content\n", base=Path("/etc/kiosk"))
    assert config.slides.folder == Path("/etc/kiosk/content")
    assert config.state.dir == Path("/etc/kiosk/state")


def test_unknown_key_names_key_line_and_suggestion():
    found = problems("timing:\n  answer_seconds: 3\n  answr_seconds: 4\n")
    assert found == [
        "config.yaml:3: timing.answr_seconds: unknown key (did you mean answer_seconds?); "
        "known keys: contribute_seconds, answer_seconds, transition, transition_seconds"
    ]


def test_unknown_section_is_reported():
    assert problems("timeing:\n  answer_seconds: 3\n")[0].startswith(
        "config.yaml:1: timeing: unknown key (did you mean timing?)")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("timing:\n  answer_seconds: 0\n",
         "config.yaml:2: timing.answer_seconds: must be a number of seconds > 0 and <= 86400, got 0"),
        ("timing:\n  answer_seconds: '5'\n",
         "timing.answer_seconds: must be a number of seconds > 0 and <= 86400, got '5', which is text"),
        ("timing:\n  transition: wipe\n", "timing.transition: must be one of fade, cut, got 'wipe'"),
        ("playlist:\n  answers_per_contribute: -1\n",
         "playlist.answers_per_contribute: must be from 0 to 1000, got -1"),
        ("playlist:\n  answers_per_contribute: 1.5\n",
         "playlist.answers_per_contribute: must be a whole number, got 1.5"),
        ("display:\n  rotation: 45\n", "display.rotation: must be one of 0, 90, 180, 270, got 45"),
        ("display:\n  fit: stretch\n", "display.fit: must be one of contain, cover, blur, got 'stretch'"),
        ("display:\n  size: [10]\n", "display.size: must be [width, height]"),
        ("display:\n  background: red\n", "display.background: must be a colour"),
        ("captions:\n  enabled: yes please\n", "captions.enabled: must be true or false"),
        ("captions:\n  band_opacity: 2\n", "captions.band_opacity: must be a number >= 0 and <= 1, got 2"),
        ("decoding:\n  max_pixels: 10\n", "decoding.max_pixels: must be from 1000000 to 1000000000, got 10"),
    ],
)
def test_bad_values_name_the_key(text, expected):
    found = problems(text)
    assert len(found) == 1
    assert expected in found[0]


def test_every_problem_is_reported_at_once():
    found = problems("timing:\n  answer_seconds: -1\ndisplay:\n  fit: nope\n")
    assert [p.split(":")[1] for p in found] == ["2", "4"]


def test_yaml_syntax_error_has_a_line():
    found = problems("timing:\n  answer_seconds: [1, 2\ndisplay:\n  fit: blur\n")
    assert found[0].startswith("config.yaml:")
    assert "YAML syntax error" in found[0]


def test_duplicate_key_is_an_error():
    assert "key given twice" in problems("timing:\n  answer_seconds: 3\n  answer_seconds: 4\n")[0]


def test_section_must_be_a_mapping():
    assert "timing: must be a mapping" in problems("timing: 5\n")[0]


def test_top_level_must_be_a_mapping():
    assert "must be a mapping of sections" in problems("- a\n- b\n")[0]


def test_size_and_colour_helpers():
    assert parse_size("1920x1080") == (1920, 1080)
    assert parse_size([1080, 1920]) == (1080, 1920)
    with pytest.raises(ValueError):
        parse_size("big")
    assert parse_colour([1, 2, 3]) == (1, 2, 3)
    with pytest.raises(ValueError):
        parse_colour([1, 2, 300])


def test_sections_built_in_code_follow_the_same_rules():
    from kiosk.core.errors import ConfigError

    with pytest.raises(ConfigError, match="timing.answer_seconds: must be a number of seconds > 0"):
        TimingConfig(answer_seconds=-1)
    with pytest.raises(ConfigError, match="timing.transition: must be one of fade, cut"):
        TimingConfig(transition="wipe")
    assert TimingConfig(answer_seconds=3).answer_seconds == 3.0


def test_every_key_has_a_rule_a_doc_and_says_whether_it_needs_a_restart():
    from kiosk.core.config import NEEDS_RESTART

    for section in SECTIONS:
        for name, item in keys(section).items():
            assert callable(item.metadata["rule"]) and item.metadata["doc"], f"{section}.{name}"
            assert getattr(item.metadata["rule"], "allowed", ""), f"{section}.{name} says nothing of what it allows"
    assert {"display.renderer", "sync.url", "heartbeat.url", "state.dir"} <= NEEDS_RESTART
    assert "timing.answer_seconds" not in NEEDS_RESTART


def test_the_configuration_reference_in_the_docs_is_current():
    import subprocess
    import sys

    result = subprocess.run([sys.executable, str(REPO / "tools" / "config_reference.py"), "--check"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_missing_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.yaml")


def test_bundled_config_documents_every_key_with_the_default():
    """config.yaml and the dataclass defaults must not drift apart."""
    text = (REPO / "config.yaml").read_text(encoding="utf-8")
    raw = yaml.safe_load(text)
    assert set(raw) == set(SECTIONS)
    for section in SECTIONS:
        assert set(raw[section]) == set(keys(section)), f"config.yaml section {section} lists other keys than the code"
    config = load_config(REPO / "config.yaml")
    defaults = Config()
    # box.name is left empty, which means the host name; a Config built in code has no host to ask.
    assert config.box.name == host_name()
    campaign_specific = {("overlays", "title"), ("overlays", "footer"), ("slides", "folder"), ("state", "dir"),
                         ("box", "name")}
    for section in SECTIONS:
        for key in keys(section):
            if (section, key) in campaign_specific:
                continue
            assert getattr(getattr(config, section), key) == getattr(getattr(defaults, section), key), \
                f"{section}.{key}"


# --- hostile config files ---------------------------------------------------------

from hypothesis import given, settings
from hypothesis import strategies as st

from .hostile import alias_bomb, yaml_documents


def test_a_deeply_nested_config_is_a_clear_error():
    with pytest.raises(ConfigError, match=r"config.yaml:2: nested more than"):
        parse("timing:\n  answer_seconds: " + "[" * 1500 + "]" * 1500 + "\n")


def test_an_alias_bomb_in_the_config_is_refused_shortly():
    with pytest.raises(ConfigError) as caught:
        parse(alias_bomb(9, 9).replace("a0:", "overlays:\n  title:", 1))
    assert "aliases are expanded" in str(caught.value) and len(str(caught.value)) < 300


def test_a_python_tag_names_the_line_and_no_traceback():
    with pytest.raises(ConfigError) as caught:
        parse("timing:\n  answer_seconds: !!python/object:os.system {}\n")
    assert caught.value.problems == ["config.yaml:2: the tag 'tag:yaml.org,2002:python/object:os.system' is not "
                                     "allowed here; write plain values"]


@pytest.mark.parametrize(
    "text, message",
    [
        ("timing:\n  transition_seconds: .inf\n", "timing.transition_seconds: must be a finite number"),
        ("heartbeat:\n  interval_seconds: .inf\n", "heartbeat.interval_seconds: must be a finite number"),
        ("timing:\n  answer_seconds: 1.0e12\n",
         "timing.answer_seconds: must be a number of seconds > 0 and <= 86400, got '1.0e12', which YAML reads as text"),
        ("timing:\n  answer_seconds: .nan\n", "timing.answer_seconds: must be a finite number"),
        ("sync:\n  read_timeout_seconds: 1.0e+9\n",
         "sync.read_timeout_seconds: must be a number of seconds > 0 and <= 3600"),
    ],
)
def test_infinite_and_absurd_numbers_are_refused(text, message):
    with pytest.raises(ConfigError) as caught:
        parse(text)
    assert message in str(caught.value)


def test_a_font_that_is_not_a_regular_file_is_refused(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text("captions:\n  font: /dev/zero\n")
    with pytest.raises(ConfigError, match="captions.font: must be a font file, but '/dev/zero' is not a regular file"):
        load_config(path)


def test_caption_sizes_that_cannot_shrink_or_cannot_fit_one_line_in_the_band_are_refused():
    with pytest.raises(ConfigError, match="captions.size 0.15 and captions.min_size 0.03 need 22% of the screen's "
                                          "height for one line"):
        parse("captions:\n  size: 0.15\n  min_size: 0.03\n  max_share: 0.2\n")
    parse("captions:\n  size: 0.2\n  min_size: 0.1\n  max_lines: 12\n  max_share: 0.4\n")
    parse("captions:\n  size: 0.02\n")  # a size below the default minimum is its own minimum


def test_a_huge_title_is_refused_quickly_and_shortly():
    with pytest.raises(ConfigError) as caught:
        parse("overlays:\n  title: '" + "x" * 600 + "'\n")
    assert "over the limit of 500" in str(caught.value) and len(str(caught.value)) < 200
    with pytest.raises(ConfigError, match="over the limit of 1,048,576 for a config file"):
        parse("overlays:\n  title: '" + "x" * 50_000_000 + "'\n")


def test_a_config_that_is_not_utf8_is_a_clear_error(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_bytes(b"overlays:\n  title: \xff\xfe\n")
    with pytest.raises(ConfigError, match="not UTF-8 text"):
        load_config(path)


@settings(deadline=None)
@given(yaml_documents(["timing", "slides", "captions", "overlays", "schedule", "display", "sync", "heartbeat"]))
def test_any_config_gives_a_config_or_short_errors_naming_where(text):
    try:
        parse(text)
    except ConfigError as exc:
        for problem in exc.problems:
            assert problem.startswith("config.yaml") and len(problem) < 600


def test_what_the_core_derives_from_the_config_defaults_to_the_config_fields():
    """Defaults live on the config fields: a Layout or PlaylistSettings built without a Config has the same."""
    from kiosk.core.layout import Layout
    from kiosk.core.playlist import PlaylistSettings, playlist_settings

    config = Config()
    assert Layout(size=(1920, 1080), font=config.captions.font) == Layout.from_config(config, (1920, 1080))
    assert PlaylistSettings(role=config.box.role) == playlist_settings(config)


@given(st.one_of(st.text(max_size=80), st.integers(), st.none(), st.lists(st.text(max_size=5), max_size=2)))
def test_a_time_zone_name_is_a_short_relative_name_or_refused(value):
    """The core's zone rule reads no database: it passes only names that cannot leave the tz folder."""
    from kiosk.core.rules import timezone

    try:
        name = timezone(value)
    except ValueError as exc:
        assert "IANA time zone name" in str(exc)
        return
    assert name == "" or (len(name) <= 4 * 65 and not name.startswith("/") and ".." not in name
                          and "\x00" not in name and name == name.strip())
