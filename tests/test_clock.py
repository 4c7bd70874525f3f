"""The box's own clock: what the kernel says about NTP, and the real time zone."""

import datetime as dt
import os
import subprocess
import sys

import pytest

from kiosk.boundary.clock import clock_synchronised, system_zone


def test_the_kernel_answers_whether_the_clock_is_synchronised():
    answer = clock_synchronised()
    assert answer in (True, False)  # Linux always answers adjtimex
    # The same flag `timedatectl` and chrony read: STA_UNSYNC in the status word.
    assert clock_synchronised() == answer


def test_the_zone_follows_tz_with_its_daylight_saving_rules():
    code = (
        "import datetime as dt; from kiosk.boundary.clock import system_zone; z = system_zone();"
        "print(dt.datetime(2026, 1, 15, 12, tzinfo=z).utcoffset(), dt.datetime(2026, 7, 15, 12, tzinfo=z).utcoffset())"
    )
    env = dict(os.environ, TZ="Europe/Berlin")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert out.split() == ["1:00:00", "2:00:00"]  # winter and summer: a real zone, not today's offset
    env["TZ"] = "Asia/Seoul"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert out.split() == ["9:00:00", "9:00:00"]


def test_without_tz_the_zone_agrees_with_the_system_now():
    if os.environ.get("TZ"):
        pytest.skip("TZ is set: the test above covers it")
    now = dt.datetime.now().astimezone()
    assert now.utcoffset() == now.astimezone(system_zone()).utcoffset()
