"""The panel's on/off commands: run beside the show, ended and joined when it stops."""

import logging
import time

from kiosk.boundary.power import DisplayPower


def test_a_command_runs_and_says_so(tmp_path, caplog):
    caplog.set_level(logging.INFO)
    commands = DisplayPower()
    thread = commands.run(f"touch {tmp_path / 'panel-on'}", "display-on")
    thread.join(10)
    assert (tmp_path / "panel-on").exists()
    assert "display-on command" in caplog.text and "done" in caplog.text


def test_a_failing_command_is_logged_and_the_show_goes_on(caplog):
    commands = DisplayPower()
    commands.run("false", "display-off").join(10)
    commands.run("/no/such/program", "display-off").join(10)
    assert "exited with 1" in caplog.text and "failed" in caplog.text


def test_a_hanging_command_is_ended_at_its_timeout(caplog):
    commands = DisplayPower(timeout=0.3)
    commands.run("sleep 30", "display-off").join(10)
    assert "took over 0.3 s and was ended" in caplog.text


def test_stop_ends_running_commands_and_joins_their_threads():
    commands = DisplayPower()
    thread = commands.run("sleep 30", "display-off")
    time.sleep(0.2)
    commands.stop(timeout=5)
    assert not thread.is_alive()  # nothing logs after the show (or a test) has ended
    assert commands.run("true", "display-on") is None  # stopped: no new commands
