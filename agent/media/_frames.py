"""Frame sampling on PyAV: one decode pass per clip, timestamps kept, any container FFmpeg reads.

The model sees a clip as N frames spread evenly over it (the centre of N equal slices, so the
first and last frames are not wasted on a static start and end), optionally tiled into one
contact sheet with each tile's time burned in. When telemetry marks the moments a caption's
claims turn on (the gripper closing, the object lifting off, the outcome), each moment takes
the slot nearest to it, so the same N frames show those moments and still cover the clip.
Every way a file can be unusable surfaces as a `VideoError` naming the file and the reason.
"""

from __future__ import annotations

import hashlib
import io
import math
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

import av
import av.error
from PIL import Image, ImageDraw, ImageFont

from agent.errors import VideoError
from agent.settings import DEFAULT_COLUMNS, DEFAULT_FRAMES, DEFAULT_MAX_SIDE

if TYPE_CHECKING:
    from agent.settings import FrameSpec, VideoLimitSettings


@dataclass(frozen=True)
class VideoLimits:
    """Bounds past which a file is refused rather than decoded."""

    max_bytes: int = 2 * 1024**3
    max_seconds: float = 3600.0
    max_pixels: int = 8192 * 8192

    @classmethod
    def of(cls, settings: VideoLimitSettings) -> VideoLimits:
        """The limits the video-limit settings set (RECAP_MAX_VIDEO_BYTES, ..._SECONDS)."""
        return cls(max_bytes=settings.max_video_bytes, max_seconds=settings.max_video_seconds)


@dataclass(frozen=True)
class VideoInfo:
    """What `probe` learns from a file's headers, without decoding pictures."""

    path: str
    duration: float
    width: int
    height: int
    fps: float | None
    codec: str
    container: str
    rotation: int
    size_bytes: int

    @property
    def display_size(self) -> tuple[int, int]:
        """Width and height as shown, after the rotation metadata is applied."""
        if self.rotation % 180:
            return self.height, self.width
        return self.width, self.height


@dataclass
class Frames:
    """Frames sampled from one clip, with their times in seconds from the clip start."""

    path: str
    times: list[float]
    images: list[Image.Image]
    duration: float
    window: tuple[float, float]
    quality: int = 85
    _jpegs: list[bytes] | None = field(default=None, repr=False)

    def __len__(self) -> int:
        return len(self.images)

    def jpegs(self) -> list[bytes]:
        """Each frame as JPEG bytes (encoded once, then reused)."""
        if self._jpegs is None:
            self._jpegs = [encode_jpeg(im, self.quality) for im in self.images]
        return self._jpegs

    def digest(self) -> str:
        """Content hash of the sampled frames: the cache key for 'same pictures'."""
        h = hashlib.sha256()
        for t, data in zip(self.times, self.jpegs(), strict=True):
            h.update(f"{t:.3f}".encode())
            h.update(data)
        return h.hexdigest()

    def contact_sheet(self, columns: int = DEFAULT_COLUMNS, label: bool = True) -> Image.Image:
        return contact_sheet(self.images, self.times, columns=columns, label=label)


def encode_jpeg(image: Image.Image, quality: int = 85) -> bytes:
    buf = io.BytesIO()
    image.convert("RGB").save(buf, format="JPEG", quality=quality, optimize=True)
    return buf.getvalue()


def _fail(path: str, reason: str, hint: str | None = None) -> VideoError:
    return VideoError(path, reason, hint=hint)


def _check_file(path: Path, limits: VideoLimits) -> int:
    if not path.exists():
        raise _fail(str(path), "file does not exist", "Check the path (relative to where you run).")
    if path.is_dir():
        raise _fail(str(path), "is a directory, not a video file")
    size = path.stat().st_size
    if size == 0:
        raise _fail(str(path), "file is empty (0 bytes)")
    if size > limits.max_bytes:
        raise _fail(
            str(path),
            f"file is {size / 1024**3:.1f} GiB, over the {limits.max_bytes / 1024**3:.1f} GiB "
            "limit for one clip",
            "Cut the clip into shorter pieces, or raise the limit if this is intended.",
        )
    return size


def _open(path: Path) -> av.container.InputContainer:
    try:
        return av.open(str(path), mode="r")
    except av.error.FFmpegError as e:
        with open(path, "rb") as fh:
            head = fh.read(12)
        if head[4:8] == b"ftyp":
            reason = "truncated or corrupt: the MP4/MOV index (moov atom) is missing"
        else:
            reason = "not a video file that FFmpeg can read"
        raise _fail(str(path), f"{reason} ({_ffmpeg_reason(e)})") from None
    except (OSError, ValueError) as e:
        raise _fail(str(path), f"cannot be opened ({e})") from None


def _ffmpeg_reason(e: Exception) -> str:
    text = getattr(e, "strerror", None) or str(e)
    return str(text).split(":")[0].strip() or type(e).__name__


def _video_stream(path: Path, container: av.container.InputContainer) -> av.video.VideoStream:
    if not container.streams.video:
        audio = len(container.streams.audio)
        if audio:
            raise _fail(str(path), f"audio only: {audio} audio stream(s) and no video stream")
        raise _fail(str(path), "has no video stream")
    return container.streams.video[0]


def _stream_start(stream: av.video.VideoStream) -> float:
    if stream.start_time is not None and stream.time_base is not None:
        return float(stream.start_time * stream.time_base)
    return 0.0


def _declared_duration(
    container: av.container.InputContainer, stream: av.video.VideoStream
) -> float | None:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / av.time_base
    return None


def _scan_duration(container: av.container.InputContainer, stream: av.video.VideoStream) -> float:
    """Duration from packet timestamps alone (no decoding), for files whose headers lack it."""
    start = _stream_start(stream)
    end = 0.0
    tb = stream.time_base or Fraction(1, 1000)
    for packet in container.demux(stream):
        if packet.pts is None:
            continue
        pkt_end = float((packet.pts + (packet.duration or 0)) * tb) - start
        end = max(end, pkt_end)
    container.seek(0)
    return end


def frame_rotation(frame: av.VideoFrame) -> int:
    """Display-matrix rotation in degrees counter-clockwise, normalised to 0/90/180/270."""
    return round(getattr(frame, "rotation", 0) or 0) % 360


def probe(path: str | os.PathLike[str], limits: VideoLimits | None = None) -> VideoInfo:
    """Read a clip's headers: duration, size, codec, rotation. Raises VideoError when unusable."""
    limits = limits or VideoLimits()
    p = Path(path)
    size = _check_file(p, limits)
    with _open(p) as container:
        stream = _video_stream(p, container)
        duration = _declared_duration(container, stream)
        if duration is None or duration <= 0:
            duration = _scan_duration(container, stream)
        try:
            first = next(iter(container.decode(stream)), None)
        except av.error.FFmpegError as e:
            reason = f"truncated or corrupt: no frame decodes ({_ffmpeg_reason(e)})"
            raise _fail(str(p), reason) from None
        if first is None:
            raise _fail(str(p), "truncated or corrupt: no decodable video frames")
        rate = stream.average_rate or stream.guessed_rate
        return VideoInfo(
            path=str(p),
            duration=duration,
            width=stream.codec_context.width,
            height=stream.codec_context.height,
            fps=float(rate) if rate else None,
            codec=stream.codec_context.name,
            container=container.format.name,
            rotation=frame_rotation(first),
            size_bytes=size,
        )


def _frame_step(stream: av.video.VideoStream) -> float:
    """Seconds one frame lasts, from the stream's declared rate (0 when it declares none)."""
    rate = stream.average_rate or stream.guessed_rate or stream.base_rate
    return 1.0 / float(rate) if rate else 0.0


def _targets(start: float, end: float, n: int) -> list[float]:
    step = (end - start) / n
    return [start + (i + 0.5) * step for i in range(n)]


SAME_FRAME_S = 0.05  # moments this close share one frame


def event_targets(start: float, end: float, n: int, moments: Sequence[float]) -> list[float]:
    """`n` times in the window: one at each moment (most important first, as many as fit, two
    moments closer than SAME_FRAME_S sharing one), and the centres of the evenly spaced slots
    left once each moment has taken the slot nearest to it. Without moments in the window,
    exactly the even spacing."""
    uniform = _targets(start, end, n)
    chosen: list[float] = []
    for t in moments:
        if len(chosen) == n:
            break
        t = float(t)
        if start <= t <= end and all(abs(t - c) > SAME_FRAME_S for c in chosen):
            chosen.append(t)
    for t in chosen:
        uniform.remove(min(uniform, key=lambda u: abs(u - t)))
    return sorted(chosen + uniform)


def fit_within(width: int, height: int, max_side: int) -> tuple[int, int]:
    scale = min(1.0, max_side / max(width, height))
    # Even sizes keep swscale's chroma handling exact.
    return max(2, round(width * scale / 2) * 2), max(2, round(height * scale / 2) * 2)


def _to_image(frame: av.VideoFrame, max_side: int) -> Image.Image:
    rotation = frame_rotation(frame)
    w, h = fit_within(frame.width, frame.height, max_side)
    image = frame.reformat(width=w, height=h, format="rgb24").to_image()
    # PyAV reports the display matrix's counter-clockwise angle; PIL's ROTATE_* are CCW too.
    if rotation == 90:
        image = image.transpose(Image.Transpose.ROTATE_90)
    elif rotation == 180:
        image = image.transpose(Image.Transpose.ROTATE_180)
    elif rotation == 270:
        image = image.transpose(Image.Transpose.ROTATE_270)
    return image


def _decode(
    path: Path, container: av.container.InputContainer, stream: av.video.VideoStream
) -> Iterator[tuple[float, av.VideoFrame]]:
    origin = _stream_start(stream)
    try:
        for frame in container.decode(stream):
            if frame.time is None:
                continue
            yield frame.time - origin, frame
    except av.error.FFmpegError as e:
        reason = f"truncated or corrupt: decoding failed ({_ffmpeg_reason(e)})"
        raise _fail(str(path), reason) from None


def sample_frames(
    path: str | os.PathLike[str],
    n: int = DEFAULT_FRAMES,
    *,
    max_side: int = DEFAULT_MAX_SIDE,
    start: float | None = None,
    end: float | None = None,
    limits: VideoLimits | None = None,
    quality: int = 85,
    moments: Sequence[float] | None = None,
) -> Frames:
    """Sample `n` frames spread evenly over the clip (or the `start`..`end` window, in seconds),
    or, given `moments` (seconds, most important first), at those moments plus even coverage.

    The file is decoded once, front to back, keeping only the frame nearest each target time;
    the decode stops after the last target. Clips with fewer than `n` frames give all they have.
    """
    if n < 1:
        raise ValueError("n must be at least 1")
    limits = limits or VideoLimits()
    p = Path(path)
    _check_file(p, limits)
    with _open(p) as container:
        stream = _video_stream(p, container)
        cc = stream.codec_context
        if cc.width and cc.height and cc.width * cc.height > limits.max_pixels:
            raise _fail(str(p), f"frame size {cc.width}x{cc.height} is absurdly large")
        stream.thread_type = "AUTO"
        duration = _declared_duration(container, stream)
        if duration is None or duration <= 0:
            duration = _scan_duration(container, stream)
        if duration > limits.max_seconds:
            raise _fail(
                str(p),
                f"clip lasts {duration:.0f} s, over the {limits.max_seconds:.0f} s limit",
                "Pass a --start/--end window, or cut the clip.",
            )
        w_start = 0.0 if start is None else float(start)
        w_end = duration if end is None else float(end)
        if w_start >= duration:
            raise _fail(
                str(p), f"window starts at {w_start:.2f} s, after the clip ends ({duration:.2f} s)"
            )
        if w_start < 0 or w_end <= w_start:
            raise _fail(str(p), f"window {w_start:.2f}..{w_end:.2f} s is empty or negative")
        w_end = min(w_end, duration)

        if w_start > 0:
            tb = stream.time_base or Fraction(1, av.time_base)
            container.seek(int((w_start + _stream_start(stream)) / tb), stream=stream)

        targets = event_targets(w_start, w_end, n, moments or [])
        picked: list[tuple[float, av.VideoFrame]] = []
        prev: tuple[float, av.VideoFrame] | None = None
        ti = 0
        last_t = -math.inf
        step = _frame_step(stream)
        for t, frame in _decode(p, container, stream):
            if last_t > -math.inf and t > last_t:
                step = max(step, t - last_t)
            last_t = t
            if t < w_start - 1e-6:
                prev = (t, frame)
                continue
            while ti < len(targets) and t >= targets[ti]:
                choice = (t, frame)
                if (
                    prev is not None
                    and prev[0] >= w_start - 1e-6
                    and abs(prev[0] - targets[ti]) < abs(t - targets[ti])
                ):
                    choice = prev
                if not picked or picked[-1][0] != choice[0]:
                    picked.append(choice)
                ti += 1
            if ti >= len(targets):
                break
            prev = (t, frame)
        if ti < len(targets) and prev is not None and (not picked or picked[-1][0] != prev[0]):
            picked.append(prev)  # targets past the last frame: the last frame is the nearest

        if not picked:
            raise _fail(str(p), "truncated or corrupt: no decodable video frames")
        tolerance = max(0.5, 0.1 * (w_end - w_start))
        # The last frame is on screen until the next would start: at 1 fps a 3 s clip's frames
        # are at 0, 1 and 2 s and it still covers the whole 3 s.
        if ti < len(targets) and last_t + step < w_end - tolerance:
            raise _fail(
                str(p),
                f"truncated: frames stop at {max(last_t, 0):.2f} s of a declared {duration:.2f} s",
                "Re-export or re-download the clip.",
            )
        images = [_to_image(frame, max_side) for _, frame in picked]
        times = [round(t, 3) for t, _ in picked]
    return Frames(
        path=str(p),
        times=times,
        images=images,
        duration=duration,
        window=(w_start, w_end),
        quality=quality,
    )


def sample_for_model(
    path: str | os.PathLike[str],
    spec: FrameSpec,
    *,
    start: float | None = None,
    end: float | None = None,
    limits: VideoLimits | None = None,
    moments: Sequence[float] | None = None,
) -> Frames:
    """What a model is shown of a clip under a frame spec (frames, size, quality, sampling):
    the one way the drafter and `recap frames` sample. `moments` are the telemetry's (most
    important first); the spec's sampling decides whether frames go to them."""
    return sample_frames(
        path,
        spec.frames,
        max_side=spec.max_side,
        start=start,
        end=end,
        limits=limits,
        quality=spec.jpeg_quality,
        moments=moments if spec.sampling == "events" else None,
    )


def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow without FreeType
        return ImageFont.load_default()


def sheet_size(images: list[Image.Image], columns: int = DEFAULT_COLUMNS) -> tuple[int, int]:
    """Width and height of the contact sheet `contact_sheet` would build from these frames."""
    columns = max(1, min(columns, len(images)))
    rows = math.ceil(len(images) / columns)
    return columns * max(im.width for im in images), rows * max(im.height for im in images)


def contact_sheet(
    images: list[Image.Image],
    times: list[float],
    *,
    columns: int = DEFAULT_COLUMNS,
    label: bool = True,
) -> Image.Image:
    """Tile frames into one image, left to right then top to bottom, times burned in.

    Tiles touch (separators are drawn over their edges) so that, e.g., four 384 px frames make
    exactly three 512 px billing tiles rather than spilling into a fourth.
    """
    if not images:
        raise ValueError("no frames to tile")
    columns = max(1, min(columns, len(images)))
    rows = math.ceil(len(images) / columns)
    tw = max(im.width for im in images)
    th = max(im.height for im in images)
    sheet = Image.new("RGB", sheet_size(images, columns))
    font = _font(max(12, th // 12))
    draw = ImageDraw.Draw(sheet)
    for i, (im, t) in enumerate(zip(images, times, strict=True)):
        x, y = (i % columns) * tw, (i // columns) * th
        sheet.paste(im.convert("RGB"), (x, y))
        if label:
            text = f"#{i + 1}  t={t:.1f}s"
            box = draw.textbbox((x + 6, y + 6), text, font=font)
            draw.rectangle((box[0] - 3, box[1] - 3, box[2] + 3, box[3] + 3), fill=(0, 0, 0))
            draw.text((x + 6, y + 6), text, fill=(255, 255, 0), font=font)
    for c in range(1, columns):
        draw.rectangle((c * tw - 1, 0, c * tw, sheet.height), fill=(255, 255, 255))
    for r in range(1, rows):
        draw.rectangle((0, r * th - 1, sheet.width, r * th), fill=(255, 255, 255))
    return sheet
