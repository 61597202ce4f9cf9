"""The queue's database work with team review on, at two run sizes: does it stay flat?

Fills SQLite databases with N drafted clips (1% of them gold), then two reviewers take turns
through the library (ReviewSession.next_item, then decide), with gold checks and double review
on (--gold-rate 0.05, --overlap 0.1) and, for comparison, off. Prints a markdown table of
milliseconds per step (median and p95). No page, no browser: this is the part team review adds
to; benchmarks/review_scale.py measures the page.

    python benchmarks/team_queue.py [--sizes 1000 100000] [--decisions 100]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import MetaData, Table, insert, select, update

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agent.decisions import Decision
from agent.review import ReviewSession
from agent.store import Store
from tests.ui.bulk import REWRITE, fill


def add_gold(url: str, every: int = 100) -> int:
    """Give every `every`-th clip a gold caption, as ingest would."""
    store = Store(url)
    md = MetaData()
    clips, pool = (Table(n, md, autoload_with=store.engine) for n in ("clips", "gold_clips"))
    with store.engine.begin() as conn:
        ids = conn.execute(select(clips.c.id).order_by(clips.c.id)).scalars().all()[::every]
        conn.execute(update(clips).where(clips.c.id.in_(ids)).values(gold={"caption": REWRITE}))
        conn.execute(insert(pool), [{"clip_id": c} for c in ids])
    store.close()
    return len(ids)


def p95(xs: list[float]) -> float:
    return sorted(xs)[max(0, round(0.95 * len(xs)) - 1)]


def play(url: str, decisions: int, gold_rate: float, overlap: float) -> tuple[list, list]:
    store = Store(url)
    people = [
        ReviewSession(store, who, "bench", browser=who, gold_rate=gold_rate, overlap=overlap)
        for who in ("ann", "bob")
    ]
    after: dict[str, str | None] = {"ann": None, "bob": None}
    nxt, dec = [], []
    for k in range(decisions):
        s = people[k % 2]
        t0 = time.perf_counter()
        item = s.next_item(after=after[s.reviewer])
        t1 = time.perf_counter()
        assert item is not None
        decision = Decision.ACCEPTED if k % 3 else Decision.EDITED
        edited = decision == Decision.EDITED
        s.decide(item, decision, REWRITE + (" Then it stops." if edited else ""))
        t2 = time.perf_counter()
        nxt.append((t1 - t0) * 1000)
        dec.append((t2 - t1) * 1000)
        after[s.reviewer] = item.clip_id
    store.close()
    return nxt, dec


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 100_000])
    ap.add_argument("--decisions", type=int, default=100)
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        video = Path(tmp) / "v.mp4"
        video.write_bytes(b"")
        for n in args.sizes:
            for label, gold_rate, overlap in (
                ("off", 0.0, 0.0),
                ("gold 0.05, overlap 0.1", 0.05, 0.1),
            ):
                url = f"sqlite:///{Path(tmp) / f'{n}-{gold_rate}.db'}"
                fill(url, n, video, run="bench")
                add_gold(url)
                nxt, dec = play(url, args.decisions, gold_rate, overlap)
                rows.append((n, label, nxt, dec))
    print(
        "| drafted clips | team review | next clip, median ms | p95 | decision, median ms | p95 |"
    )
    print("|---:|---|---:|---:|---:|---:|")
    for n, label, nxt, dec in rows:
        print(
            f"| {n:,} | {label} | {statistics.median(nxt):.1f} | {p95(nxt):.1f} "
            f"| {statistics.median(dec):.1f} | {p95(dec):.1f} |"
        )


if __name__ == "__main__":
    main()
