"""The audio device through SDL, in a process of its own each time: SDL's dummy driver calls back as a sound
card would, and a hang must end the child, not the test run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

from .conftest import REPO


def run_child(code: str, driver: str = "dummy", timeout: float = 120) -> dict:
    env = dict(os.environ, SDL_AUDIODRIVER=driver, SDL_VIDEODRIVER="dummy", PYTHONPATH=str(REPO))
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env, capture_output=True, text=True,
                            timeout=timeout)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_device_asks_for_buffers_of_48_khz_stereo_and_stops_asking_once_closed():
    found = run_child("""
        import json, threading, time
        from kiosk.boundary.speakerdevice import SdlOutput

        sizes, threads = [], set()
        enough = threading.Event()

        def fill(buffer):
            sizes.append(len(buffer))
            threads.add(threading.get_ident())
            buffer[:] = bytes(len(buffer))
            if len(sizes) >= 5:
                enough.set()

        output = SdlOutput(fill)
        assert enough.wait(60), "the device never called back"
        output.close()
        count = len(sizes)
        time.sleep(0.1)
        print(json.dumps({"sizes": sorted(set(sizes)), "own_thread": threading.get_ident() not in threads,
                          "latency": output.latency, "description": output.description,
                          "after_close": len(sizes) - count}))
    """)
    assert found["sizes"] == [1024 * 4]  # 1,024 samples of 16-bit stereo
    assert found["own_thread"]  # called from SDL's audio thread, not the one that opened it
    assert found["latency"] == 1024 / 48_000
    assert found["description"] == "'System audio output device' (SDL's dummy driver)"
    assert found["after_close"] == 0


def test_closing_never_hangs_while_the_device_waits_to_call_back():
    """pygame's own close holds the GIL while SDL waits for its audio thread, which may be waiting for the GIL
    to call back: that hung within 14 rounds of this loop. Pausing through ctypes first lets the GIL go."""
    found = run_child("""
        import json, time
        from kiosk.boundary.speakerdevice import SdlOutput

        calls = [0]

        def fill(buffer):
            calls[0] += 1
            buffer[:] = bytes(len(buffer))

        for round_ in range(100):
            output = SdlOutput(fill)
            end = time.monotonic() + 0.02 + (round_ % 7) * 0.003
            spin = 0
            while time.monotonic() < end:  # Python busy on this thread: the GIL is wanted by both
                spin += 1
            output.close()
        print(json.dumps({"rounds": 100, "calls": calls[0]}))
    """, timeout=300)
    assert found["rounds"] == 100 and found["calls"] > 0


def test_no_audio_driver_is_no_sound_not_a_crash():
    found = run_child("""
        import json
        from kiosk.boundary.sound import SoundUnavailable
        from kiosk.boundary.speakerdevice import SdlOutput

        try:
            SdlOutput(lambda buffer: None)
        except SoundUnavailable as exc:
            print(json.dumps({"unavailable": str(exc)}))
    """, driver="no-such-driver")
    assert found["unavailable"].startswith("SDL has no audio driver")
