"""The Meta-World clip generator on a tiny run, where MuJoCo renders off-screen (OSMesa)."""

from __future__ import annotations

import ctypes.util
import json
from pathlib import Path

import pytest

from agent.media import probe, sample_frames
from agent.telemetry import Telemetry


def _skip_reason() -> str | None:
    try:
        import metaworld  # noqa: F401
        import mujoco  # noqa: F401
    except ImportError:
        return "metaworld/mujoco not installed (pip install 'recap-agent[sim]')"
    if ctypes.util.find_library("OSMesa") is None:
        return "OSMesa not installed (apt-get install libosmesa6)"
    return None


pytestmark = pytest.mark.skipif(_skip_reason() is not None, reason=_skip_reason() or "")


@pytest.mark.slow
def test_one_success_and_one_failure_clip(tmp_path: Path) -> None:
    from evals.datasets.metaworld_gen import FPS, SIZE, STEPS, ClipSpec, render_all
    from evals.datasets.mistakes import write_manifest

    specs = [
        ClipSpec("pick-place-ok", "pick-place", "success", 3),
        ClipSpec("pick-place-drop", "pick-place", "early_release", 3),
    ]
    telemetry = render_all(specs, tmp_path, processes=2)
    write_manifest(specs, telemetry, tmp_path, seed=0)
    rows = {r["id"]: r for r in map(json.loads, (tmp_path / "manifest.jsonl").open())}
    for spec in specs:
        info = probe(tmp_path / f"{spec.clip_id}.mp4")
        assert info.duration == pytest.approx(STEPS / FPS, abs=0.1)  # 5 s
        assert (info.width, info.height) == SIZE and info.fps == pytest.approx(FPS)
        tel = Telemetry.load(tmp_path / f"{spec.clip_id}.telemetry.json")
        assert len(tel.t) == STEPS == len(tel.ee_pos) == len(tel.object_pos)  # aligned
        frames = sample_frames(tmp_path / f"{spec.clip_id}.mp4", 8)
        image = frames.images[0]
        assert image.getextrema()[0][1] - image.getextrema()[0][0] > 50  # not a blank render
    ok, drop = (
        Telemetry.load(tmp_path / f"{c}.telemetry.json")
        for c in ("pick-place-ok", "pick-place-drop")
    )
    assert ok.success is True and drop.success is False
    assert rows["pick-place-ok"]["meta"]["success"] is True
    assert "fails" in rows["pick-place-drop"]["gold_caption"]
    # events consistent with the success flag: the dropped puck was lifted, then fell
    assert max(p[2] for p in drop.object_pos) > drop.object_pos[-1][2] + 0.03
