"""benchmarks/routing.py's machinery: the clips it generates, and that drafts come back through
recap's real client from the fake server as the fake meant them, the same on every run."""

from __future__ import annotations

import asyncio
import importlib.util
import sys
from pathlib import Path

from agent.drafting import OfflineDrafter
from agent.routing import judge_gold

ROOT = Path(__file__).resolve().parents[3]


def _benchmark():
    spec = importlib.util.spec_from_file_location(
        "routing_bench", ROOT / "benchmarks" / "routing.py"
    )
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # its dataclasses look their module up there
    spec.loader.exec_module(mod)
    return mod


def test_generated_clips() -> None:
    bench = _benchmark()
    clips, tel, _ = bench.make_clips(60, seed=1)
    assert len(clips) == 60 and set(tel) >= {c.source for c in clips}
    correct = [c for c in clips if not c.gold.hallucinations and not c.gold.omissions]
    assert 0 < len(correct) < len(clips)
    truth: dict[tuple[str, str], object] = {}
    for c in clips:
        assert c.wrong and abs(sum(c.weights) - 1) < 1e-9
        # one truth per clip and caption: what the model sees decides the right answer
        assert truth.setdefault((c.source, c.caption), c.gold) == c.gold


def test_drafts_round_trip_as_the_fake_meant_them_and_repeat() -> None:
    bench = _benchmark()
    clips, tel, _ = bench.make_clips(12, seed=2)
    runs = [asyncio.run(bench.sample_all(clips, tel, 0.5, 3, 0, 4))[0] for _ in range(2)]
    given = [g for c in clips for g in runs[0][c.id].given]
    assert "right" in given and any(g != "right" for g in given)
    for c in clips:
        s = runs[0][c.id]
        for d, g in zip(s.drafts, s.given, strict=True):
            assert judge_gold(c.caption, d, c.gold).error == (g != "right"), (c.caption, g)
        assert runs[1][c.id].given == s.given
        assert [d.model_dump() for d in runs[1][c.id].drafts] == [d.model_dump() for d in s.drafts]


def test_samples_drawn_by_the_real_samples_path_score_as_the_simulation_does(
    tmp_path: Path,
) -> None:
    """`--through-samples`: the clips drafted by `recap draft --samples 3` itself (job, store,
    `recap route`'s scoring), K requests per clip and none from the cache, each stored draft
    the majority of its stored samples, and each score the one the simulation's scoring gives
    those samples."""
    bench = _benchmark()
    clips, tel, _ = bench.make_clips(12, seed=2)
    offline = {
        (c.source, c.caption): OfflineDrafter().review(c.caption, tel[c.source]) for c in clips
    }
    scored, check = asyncio.run(
        bench.through_samples(clips, tel, offline, 0.5, 3, 0, tmp_path / "s.db", 4)
    )
    assert check["requests"] == 3 * len(clips) and check["cached"] == 0
    assert check["kept_is_majority"] == check["score_as_simulated"] == len(clips)
    assert len(scored) == len(clips)
    assert any(s.error for s in scored) and not all(s.error for s in scored)
    assert len({round(s.conf, 6) for s in scored}) > 1  # agreement varies from clip to clip
