"""Videos encoded anew: the writing half of the FFmpeg seam (kiosk.picture.video is the reading half).

`transcode` decodes a video through kiosk.picture.video (the same limits
and refusals as a box), turns it upright, scales it and caps its frame
rate with FFmpeg's filters, and encodes it as H.264 yuv420p in an MP4
whose index comes first, with AAC sound if the recipe asks. Nothing else
is written: no tags, no display matrix, no encoder version. Only
`kiosk publish` loads this module.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import av

from kiosk.core.errors import KioskError
from kiosk.core.videofacts import DEFAULT_LIMITS, Transcode, VideoFacts, VideoLimits
from kiosk.picture.video import VideoDecoder, failure, open_video

# Pixels exactly alike on every machine: no CPU-specific rounding in the scaler, no version strings written.
_BITEXACT_SCALE = "bicubic+accurate_rnd+bitexact+full_chroma_int"
X264_PARAMS = "log=-1:no-mbtree=1"


def transcode(source: Path, destination: Path, recipe_for: Callable[[VideoFacts], Transcode],
              limits: VideoLimits = DEFAULT_LIMITS, root: Path | None = None) -> tuple[VideoFacts, Transcode]:
    """Encodes `source` anew into `destination` (an MP4) by the recipe made from its facts.

    The rotation is turned into the pixels, the frame rate capped by
    dropping frames, and no metadata is written: no tags, no display
    matrix, no encoder version. Returns the source's facts and the recipe.
    Raises as `probe_video` does; `destination` is written in place (the
    caller renames it).
    """
    with open_video(source, None, limits, root, audio=True) as video:
        recipe = recipe_for(video.facts)
        try:
            _encode(video, destination, recipe)
        except KioskError:
            raise
        except Exception as exc:  # noqa: BLE001 - the encoders may fail in any way on one file
            raise failure(video.name, "cannot encode", exc) from None
        return video.facts, recipe


def _encode(video: VideoDecoder, destination: Path, recipe: Transcode) -> None:
    sound_in = video.audio_stream if recipe.audio else None
    with av.open(str(destination), "w", format="mp4",
                 options={"movflags": "+faststart", "fflags": "+bitexact"}) as out:
        picture = out.add_stream("libx264", rate=recipe.rate, options={
            "crf": str(recipe.crf), "preset": recipe.preset, "g": str(recipe.keyframe_interval),
            "threads": str(recipe.threads), "x264-params": X264_PARAMS,
        })
        picture.width, picture.height = recipe.size
        picture.pix_fmt = "yuv420p"
        picture.codec_context.flags |= av.codec.context.Flags.bitexact
        sound = None
        if sound_in is not None:
            sound = out.add_stream("aac", rate=48000)
            sound.layout = "stereo"
            sound.bit_rate = recipe.audio_bitrate
            sound.codec_context.flags |= av.codec.context.Flags.bitexact
        graph: av.filter.Graph | None = None
        for frame in video.raw_frames():
            if graph is None:
                graph = _filters(frame, video.facts.rotation, recipe)
            graph.push(frame)
            _encode_filtered(graph, picture, out)
            _encode_sound(video.take_audio(), sound_in, sound, out)
        if graph is not None:
            graph.push(None)
            _encode_filtered(graph, picture, out)
        for packet in picture.encode(None):
            out.mux(packet)
        _encode_sound(video.take_audio(), sound_in, sound, out)
        if sound is not None:
            for packet in sound.encode(None):
                out.mux(packet)


def _filters(first: av.VideoFrame, rotation: int, recipe: Transcode) -> av.filter.Graph:
    """FFmpeg's filters from a decoded frame to the rendition's: turned upright, scaled, rate capped, yuv420p."""
    graph = av.filter.Graph()
    graph.threads = 1
    chain = [graph.add_buffer(width=first.width, height=first.height, format=first.format,
                              time_base=first.time_base)]
    if rotation == 90:
        chain.append(graph.add("transpose", "clock"))
    elif rotation == 270:
        chain.append(graph.add("transpose", "cclock"))
    elif rotation == 180:
        chain += [graph.add("hflip"), graph.add("vflip")]
    width, height = recipe.size
    chain += [
        graph.add("scale", f"{width}:{height}:flags={_BITEXACT_SCALE}"),
        graph.add("setsar", "1"),
        graph.add("fps", f"fps={recipe.rate.numerator}/{recipe.rate.denominator}"),
        graph.add("format", "yuv420p"),
        graph.add("buffersink"),
    ]
    graph.link_nodes(*chain).configure()
    return graph


def _encode_filtered(graph: av.filter.Graph, stream: av.video.stream.VideoStream,
                     out: av.container.OutputContainer) -> None:
    while True:
        try:
            frame = graph.vpull()
        except (av.error.BlockingIOError, av.error.EOFError):
            return
        frame.pict_type = av.video.frame.PictureType.NONE  # the encoder chooses the keyframes
        for packet in stream.encode(frame):
            out.mux(packet)


def _encode_sound(packets: list[av.Packet], source: av.audio.stream.AudioStream | None,
                  sound: av.audio.stream.AudioStream | None, out: av.container.OutputContainer) -> None:
    if source is None or sound is None:
        return
    for packet in packets:
        for frame in packet.decode():
            assert isinstance(frame, av.AudioFrame)
            frame.pts = None  # the encoder counts samples from the start: no gap, no timestamp quirks
            for encoded in sound.encode(frame):
                out.mux(encoded)
