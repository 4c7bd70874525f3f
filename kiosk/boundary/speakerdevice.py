"""The audio device, through SDL: the real output of kiosk.boundary.sound's Speaker.

SDL picks the driver (ALSA, PulseAudio or PipeWire; `SDL_AUDIODRIVER`
names one) and the device is the first output it lists, opened at 48 kHz,
16-bit stereo, in buffers of 1,024 samples (21 ms); SDL converts for a
device that wants otherwise. SDL's audio thread calls the speaker for each
buffer. Imported only when the first slot with sound comes: a box with
`display.audio` off never loads SDL's audio.

pygame's device holds Python's GIL while SDL waits for the audio thread,
and the audio thread needs the GIL to call back: closing the device while
a call back is waiting for the GIL hangs both for good (seen with the
dummy driver within 14 opens and closes under a busy loop). So the device
is paused first through SDL itself, by ctypes, which lets the GIL go while
SDL waits for the call back under way; a paused device calls back no
more, and then closes at once.
"""

from __future__ import annotations

import ctypes
import logging
import os
import sys
from typing import Any, Callable

from kiosk.boundary.sound import SoundUnavailable
from kiosk.picture.videosound import CHANNELS, RATE

log = logging.getLogger(__name__)

BUFFER_SAMPLES = 1024  # a buffer: 21 ms at 48 kHz


def _sdl_library() -> ctypes.CDLL | None:
    """SDL as pygame loaded it (the same copy, so the same devices); None if it is not found."""
    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as maps:
            for line in maps:
                fields = line.split(maxsplit=5)
                if len(fields) == 6 and os.path.basename(fields[5].strip()).startswith("libSDL2-2"):
                    return ctypes.CDLL(fields[5].strip())
    except OSError:
        pass
    return None


class SdlOutput:
    """An open SDL audio device calling `fill` for each buffer; `close()` from any thread."""

    def __init__(self, fill: Callable[[memoryview], None]) -> None:
        from pygame._sdl2 import audio, sdl2  # here: SDL's audio only where sound is wanted

        self._fill = fill
        try:
            sdl2.init_subsystem(sdl2.INIT_AUDIO)
        except sdl2.error as exc:
            raise SoundUnavailable(f"SDL has no audio driver ({exc})") from None
        library = _sdl_library()
        if library is None:
            raise SoundUnavailable("SDL's library is not found among those loaded")
        library.SDL_PauseAudioDevice.argtypes = [ctypes.c_uint32, ctypes.c_int]
        library.SDL_PauseAudioDevice.restype = None
        library.SDL_GetCurrentAudioDriver.restype = ctypes.c_char_p
        self._pause = library.SDL_PauseAudioDevice
        driver = (library.SDL_GetCurrentAudioDriver() or b"?").decode("utf-8", "replace")
        names = audio.get_audio_device_names(False)
        if not names:
            raise SoundUnavailable(f"SDL's {driver} driver lists no output device")
        sample_format = audio.AUDIO_S16LSB if sys.byteorder == "little" else audio.AUDIO_S16MSB
        try:
            self._device: Any = audio.AudioDevice(names[0], False, RATE, sample_format, CHANNELS, BUFFER_SAMPLES, 0,
                                                  self._callback)
        except (sdl2.error, TypeError, ValueError) as exc:
            raise SoundUnavailable(f"cannot open {names[0]!r} ({driver}): {exc}") from None
        # The buffer filled now is heard once the one before it has played.
        self.latency = self._device.chunksize / self._device.frequency
        self.description = f"{names[0]!r} (SDL's {driver} driver)"
        self._device.pause(0)  # no call back yet: a device opens paused

    def _callback(self, _device: object, view: Any) -> None:
        self._fill(memoryview(view))

    def close(self) -> None:
        device, self._device = self._device, None
        if device is None:
            return
        self._pause(device.deviceid, 1)  # ctypes lets the GIL go while SDL waits for a call back under way
        device.close()


__all__ = ["BUFFER_SAMPLES", "SdlOutput"]
