from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from agent.errors import VideoError
from agent.media import VideoLimits, contact_sheet, probe, sample_frames
from tests.clips import make_audio_only, make_clip, square_x


def xs(frames) -> list[float]:
    return [square_x(np.asarray(im)) for im in frames.images]


@pytest.mark.parametrize("name", ["clip.mp4", "clip.webm", "clip.mov", "clip.mkv"])
def test_samples_eight_frames_evenly_in_any_container(tmp_path: Path, name: str) -> None:
    path = make_clip(tmp_path / name)
    frames = sample_frames(path, 8)
    assert len(frames) == 8
    assert frames.duration == pytest.approx(5.0, abs=0.11)
    # centres of 8 equal slices of 5 s, to the nearest frame (10 fps)
    expected = [(i + 0.5) * 5 / 8 for i in range(8)]
    assert frames.times == pytest.approx(expected, abs=0.051)
    # the square moves left to right: each sampled picture is the moment its time says
    for t, x in zip(frames.times, xs(frames), strict=True):
        frame_index = round(t * 10)
        assert x == pytest.approx((frame_index / 49) * (1 - 40 / 320) + 20 / 320, abs=0.02)


def test_frame_count_and_times_follow_n(clip: Path) -> None:
    frames = sample_frames(clip, 6)
    assert len(frames) == 6
    assert frames.times == sorted(frames.times)
    assert len(set(frames.times)) == 6


def test_resizes_to_max_side_keeping_aspect(tmp_path: Path) -> None:
    path = make_clip(tmp_path / "hd.mp4", size=(1280, 720), seconds=1, fps=10)
    frames = sample_frames(path, 4, max_side=384)
    assert frames.images[0].size == (384, 216)


def test_variable_frame_rate_uses_real_timestamps(tmp_path: Path) -> None:
    path = make_clip(tmp_path / "vfr.mp4", vfr=True, seconds=5)
    import av

    with av.open(str(path)) as c:
        gaps = np.diff([f.time for f in c.decode(video=0)])
    assert gaps.min() < 0.06 and gaps.max() > 0.12  # really variable
    frames = sample_frames(path, 8)
    targets = [(i + 0.5) * frames.duration / 8 for i in range(8)]
    for t, target in zip(frames.times, targets, strict=True):
        assert abs(t - target) <= gaps.max() / 2 + 1e-3


def test_rotated_phone_video_is_turned_upright(tmp_path: Path) -> None:
    path = make_clip(tmp_path / "phone.mov", rotation=90)
    assert probe(path).rotation == 90
    assert probe(path).display_size == (240, 320)
    frames = sample_frames(path, 2)
    im = np.asarray(frames.images[0])
    assert im.shape[:2] == (320, 240)  # portrait
    # the green marker, stored top-left, is bottom-left after a 90° counter-clockwise turn
    h, _w = im.shape[:2]
    corner = im[h - 10 :, :10]
    assert corner[..., 1].mean() > 150 and corner[..., 0].mean() < 100


def test_long_clip_is_sampled_across_its_whole_length(tmp_path: Path) -> None:
    path = make_clip(tmp_path / "long.mp4", seconds=30, fps=5)
    frames = sample_frames(path, 8)
    assert frames.times[0] < 2.5 and frames.times[-1] > 27.5


def test_window_samples_only_inside_it(tmp_path: Path) -> None:
    path = make_clip(tmp_path / "long.mp4", seconds=20, fps=10)
    frames = sample_frames(path, 8, start=10.0, end=15.0)
    assert frames.window == (10.0, 15.0)
    assert all(10.0 <= t <= 15.0 for t in frames.times)
    assert frames.times == pytest.approx([10 + (i + 0.5) * 5 / 8 for i in range(8)], abs=0.051)


def test_clip_with_fewer_frames_than_asked_gives_all_it_has(tmp_path: Path) -> None:
    path = make_clip(tmp_path / "short.mp4", seconds=0.3, fps=10)
    frames = sample_frames(path, 8)
    assert len(frames) == 3
    assert frames.times == [0.0, 0.1, 0.2]


def test_contact_sheet_tiles_frames_with_times(clip: Path) -> None:
    frames = sample_frames(clip, 8, max_side=160)
    sheet = frames.contact_sheet(columns=4)
    assert sheet.size == (4 * 160, 2 * 120)
    unlabelled = contact_sheet(frames.images, frames.times, columns=4, label=False)
    # the label box is drawn in the top-left corner of each tile
    a, b = np.asarray(sheet), np.asarray(unlabelled)
    assert (a[:20, :60] != b[:20, :60]).any()
    assert (a[30:110, 60:150] == b[30:110, 60:150]).all()


def test_digest_changes_with_the_pictures(tmp_path: Path, clip: Path) -> None:
    other = make_clip(tmp_path / "other.mp4", size=(320, 240), fps=12)
    assert sample_frames(clip).digest() == sample_frames(clip).digest()
    assert sample_frames(clip).digest() != sample_frames(other).digest()


# --- bad input: one error type, naming the file and the reason ------------------------------


def bad(path: Path, **kw) -> VideoError:
    with pytest.raises(VideoError) as info:
        sample_frames(path, **kw)
    assert str(path) in str(info.value)
    assert "Traceback" not in str(info.value)
    return info.value


def test_missing_file(tmp_path: Path) -> None:
    assert bad(tmp_path / "nope.mp4").reason == "file does not exist"


def test_empty_file(tmp_path: Path) -> None:
    (tmp_path / "e.mp4").write_bytes(b"")
    assert bad(tmp_path / "e.mp4").reason == "file is empty (0 bytes)"


def test_not_a_video(tmp_path: Path) -> None:
    (tmp_path / "notes.mp4").write_text("these are my notes, not a video\n" * 40)
    assert bad(tmp_path / "notes.mp4").reason.startswith("not a video file that FFmpeg can read")


def test_directory(tmp_path: Path) -> None:
    assert "directory" in bad(tmp_path).reason


def test_audio_only(tmp_path: Path) -> None:
    path = make_audio_only(tmp_path / "voice.m4a")
    assert bad(path).reason.startswith("audio only")


def test_truncated_mp4_missing_its_index(tmp_path: Path, clip: Path) -> None:
    data = clip.read_bytes()
    (tmp_path / "cut.mp4").write_bytes(data[: len(data) // 2])
    assert "moov atom" in bad(tmp_path / "cut.mp4").reason


@pytest.mark.parametrize("name,kw", [("fs.mp4", {"faststart": True}), ("w.webm", {})])
def test_truncated_streamable_file(tmp_path: Path, name: str, kw: dict) -> None:
    full = make_clip(tmp_path / name, **kw)
    data = full.read_bytes()
    cut = tmp_path / f"cut-{name}"
    cut.write_bytes(data[: len(data) // 2])
    assert bad(cut).reason.startswith("truncated")


def test_absurdly_large_file_is_refused_before_decoding(clip: Path) -> None:
    err = bad(clip, limits=VideoLimits(max_bytes=1000))
    assert "over the" in err.reason and "limit" in err.reason


def test_too_long_clip_is_refused(clip: Path) -> None:
    assert "over the 2 s limit" in bad(clip, limits=VideoLimits(max_seconds=2)).reason


def test_window_outside_clip(clip: Path) -> None:
    assert "after the clip ends" in bad(clip, start=9.0).reason
    assert "empty" in bad(clip, start=3.0, end=2.0).reason


def test_probe_reads_headers(clip: Path) -> None:
    info = probe(clip)
    assert (info.width, info.height, info.codec) == (320, 240, "h264")
    assert info.fps == pytest.approx(10)
    assert info.duration == pytest.approx(5.0, abs=0.11)


@pytest.mark.parametrize("fps,seconds", [(1, 3), (2, 4), (5, 5)])
def test_low_frame_rate_clips_are_sampled_not_refused(tmp_path: Path, fps: int, seconds: int):
    """At 1 fps a 3 s clip has frames at 0, 1 and 2 s; the last one lasts until 3 s."""
    path = make_clip(tmp_path / f"slow{fps}.mp4", seconds=seconds, fps=fps)
    frames = sample_frames(path, 8, max_side=64)
    assert min(8, fps * seconds) - 1 <= len(frames) <= min(8, fps * seconds)
    assert frames.times == sorted(set(frames.times))
    assert frames.times[0] >= 0 and frames.times[-1] <= seconds - 1 / fps + 0.01
    if fps == 1:
        assert frames.times == pytest.approx([0.0, 1.0, 2.0], abs=0.01)


def test_low_frame_rate_clip_that_really_stops_early_is_still_caught(tmp_path: Path) -> None:
    full = make_clip(tmp_path / "slow.webm", seconds=20, fps=2)
    data = full.read_bytes()
    cut = tmp_path / "cut-slow.webm"
    cut.write_bytes(data[: len(data) // 3])
    assert bad(cut).reason.startswith("truncated")


# --- frames at the moments telemetry marks ----------------------------------------------------
def test_without_moments_the_targets_are_the_even_spacing() -> None:
    from agent.media._frames import _targets, event_targets

    assert event_targets(0.0, 5.0, 8, []) == _targets(0.0, 5.0, 8)
    assert event_targets(0.0, 5.0, 8, [7.0, -1.0]) == _targets(0.0, 5.0, 8)  # outside: ignored


def test_each_moment_takes_the_slot_nearest_to_it() -> None:
    from agent.media._frames import _targets, event_targets

    uniform = _targets(0.0, 5.0, 8)  # 0.3125, 0.9375, ... 4.6875
    got = event_targets(0.0, 5.0, 8, [1.17, 4.97, 1.63, 1.64])
    assert len(got) == 8 and got == sorted(got)
    assert {1.17, 4.97, 1.63} <= set(got)  # 1.64 shares 1.63's frame
    assert 1.64 not in got
    # the slots the moments took are gone, the others stay: coverage of the rest of the clip
    assert [u for u in uniform if u in got] == [uniform[i] for i in (0, 3, 4, 5, 6)]


def test_more_moments_than_frames_keeps_the_first_ones() -> None:
    from agent.media._frames import event_targets

    got = event_targets(0.0, 5.0, 3, [4.9, 0.2, 2.0, 3.0, 1.0])
    assert got == [0.2, 2.0, 4.9]


def test_frames_fall_at_the_moments_and_the_sheet_keeps_its_size(tmp_path: Path) -> None:
    path = make_clip(tmp_path / "c.mp4", seconds=5, fps=10)
    moments = [1.17, 1.63, 4.97]
    uniform = sample_frames(path, 8)
    placed = sample_frames(path, 8, moments=moments)
    assert len(placed) == len(uniform) == 8
    for m in moments:
        assert min(abs(t - m) for t in placed.times) <= 0.1
    assert min(abs(t - 4.97) for t in uniform.times) > 0.1  # uniform misses the end
    assert placed.contact_sheet().size == uniform.contact_sheet().size
    # the pictures are the moments their times say (the square's x encodes time)
    for t, x in zip(placed.times, xs(placed), strict=True):
        assert x == pytest.approx((round(t * 10) / 49) * (1 - 40 / 320) + 20 / 320, abs=0.02)


def test_the_clip_is_still_decoded_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from agent.media import _frames

    path = make_clip(tmp_path / "c.mp4", seconds=5, fps=10)
    opened: list[str] = []
    decoded: list[float] = []
    real_open, real_decode = _frames._open, _frames._decode

    def counting_open(p: Path):  # type: ignore[no-untyped-def]
        opened.append(str(p))
        return real_open(p)

    def counting_decode(*args):  # type: ignore[no-untyped-def]
        for t, frame in real_decode(*args):
            decoded.append(t)
            yield t, frame

    monkeypatch.setattr(_frames, "_open", counting_open)
    monkeypatch.setattr(_frames, "_decode", counting_decode)
    sample_frames(path, 8, moments=[4.9, 0.4, 2.2])
    assert len(opened) == 1
    assert decoded == sorted(decoded) and len(decoded) == len(set(decoded)) <= 50


def test_the_frame_spec_decides_whether_moments_place_frames(tmp_path: Path) -> None:
    from agent.media import sample_for_model
    from agent.settings import FrameSpec

    path = make_clip(tmp_path / "c.mp4", seconds=5, fps=10)
    events = sample_for_model(path, FrameSpec(), moments=[4.9])
    uniform = sample_for_model(path, FrameSpec(sampling="uniform"), moments=[4.9])
    assert 4.9 in events.times and 4.9 not in uniform.times
    assert uniform.times == sample_frames(path, 8).times
