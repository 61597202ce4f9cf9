"""Video for the browser: paths kept inside the dataset root, transcoding when needed, stills.

Browsers play H.264 (or AV1) in MP4 and VP8/VP9/AV1 in WebM. Anything else (MPEG-4 Part 2,
HEVC, ProRes, AVI...) is transcoded once to H.264 MP4 into a cache folder and reused.
"""

from __future__ import annotations

import hashlib
import math
from fractions import Fraction
from pathlib import Path

import av
from PIL import Image

from agent.errors import VideoError
from agent.media._frames import fit_within, frame_rotation, probe
from agent.settings import Settings

PLAYABLE = {
    ("mp4", "h264"),
    ("mp4", "av1"),
    ("mov", "h264"),
    ("webm", "vp8"),
    ("webm", "vp9"),
    ("webm", "av1"),
    ("matroska", "vp8"),
    ("matroska", "vp9"),
}


def play_window(start: float | None, end: float | None) -> tuple[int, int | None]:
    """Where the browser's player starts and stops (and loops) on the file, in the whole
    seconds a player takes: the clip's window (a LeRobot v3.0 episode is a window of a shared
    file), rounded outwards so none of the clip is cut; (0, None) for a whole file."""
    return (math.floor(start) if start else 0, math.ceil(end) if end is not None else None)


def cache_dir() -> Path:
    path = Settings().cache_dir / "media"
    path.mkdir(parents=True, exist_ok=True)
    return path


def inside_root(video: str | Path, root: str | Path | None) -> Path:
    """The clip's path, refused if it resolves outside its dataset root."""
    path = Path(video).resolve()
    if root is not None:
        try:
            path.relative_to(Path(root).resolve())
        except ValueError:
            raise VideoError(video, f"is outside the dataset root {root}") from None
    return path


def browser_playable(path: str | Path) -> bool:
    info = probe(path)
    formats = set(info.container.split(","))
    return any((f, info.codec) in PLAYABLE for f in formats)


def playable(path: str | Path) -> Path:
    """A file the browser can play: the original, or a cached H.264 transcode of it."""
    src = Path(path)
    if browser_playable(src):
        return src
    stat = src.stat()
    key = hashlib.sha256(f"{src.resolve()}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    out = cache_dir() / f"{key.hexdigest()[:24]}.mp4"
    if not out.is_file():
        tmp = out.with_suffix(".tmp.mp4")
        transcode_h264(src, tmp)
        tmp.replace(out)
    return out


def transcode_h264(src: Path, dst: Path) -> None:
    with av.open(str(src)) as inp, av.open(str(dst), "w") as outp:
        vin = inp.streams.video[0]
        rate = vin.average_rate or Fraction(25, 1)
        vout = outp.add_stream("libx264", rate=rate)
        w, h = vin.codec_context.width, vin.codec_context.height
        vout.width, vout.height = w - w % 2, h - h % 2
        vout.pix_fmt = "yuv420p"
        vout.options = {"movflags": "+faststart", "crf": "23"}
        for frame in inp.decode(vin):
            frame = frame.reformat(width=vout.width, height=vout.height, format="yuv420p")
            frame.pts = None
            for packet in vout.encode(frame):
                outp.mux(packet)
        for packet in vout.encode():
            outp.mux(packet)


def frame_at(path: str | Path, t: float, max_side: int = 640) -> Image.Image:
    """The frame shown at `t` seconds (the last one not after it), upright, resized."""
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        origin = float(s.start_time * s.time_base) if s.start_time is not None else 0.0
        if t > 1:
            c.seek(int((t - 1 + origin) / s.time_base), stream=s)
        best = None
        for frame in c.decode(s):
            if frame.time is None:
                continue
            if best is not None and frame.time - origin > t + 1e-3:
                break
            best = frame
        if best is None:
            raise VideoError(path, f"no frame at {t:.2f} s")
        w, h = fit_within(best.width, best.height, max_side)
        img = best.reformat(width=w, height=h, format="rgb24").to_image()
        rot = frame_rotation(best)
        return img.rotate(rot, expand=True) if rot else img
