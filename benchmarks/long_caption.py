"""What a very long caption costs a decision: a degenerate captioning model's caption (one
sentence repeated to N words) with a draft that repeats it too, decided through the library
(ReviewSession.decide: the word edit distance and rate, measured once, plus the database
write) as an accept, an edit of a few words, and a rewrite with nothing in common (where the
diff's work cap applies). Also the word diff the page draws. Prints a markdown table of
milliseconds (median of --repeat).

    python benchmarks/long_caption.py [--words 2000 20000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agent.decisions import Decision
from agent.review import ReviewSession, compare
from agent.schema import Draft, DraftResult, PromptRef
from agent.store import Clip, Store

SENTENCE = "The robot picks up the red cube and places it on the plate."


def repeated(n_words: int) -> str:
    per = len(SENTENCE.split())
    return " ".join([SENTENCE] * max(1, n_words // per))


def edited(text: str, changes: int = 10) -> str:
    tokens = text.split()
    step = max(1, len(tokens) // (changes + 1))
    for k in range(1, changes + 1):
        tokens[k * step] = "blue"
    return " ".join(tokens)


def unrelated(n_words: int, seed: int = 0) -> str:
    rng = random.Random(seed)
    return " ".join(f"w{rng.randrange(500)}" for _ in range(n_words))


def store_with(url: str, n: int, rewrite: str) -> Store:
    store = Store(url)
    store.runs.ensure(
        "bench", drafter="llm", model="m", prompt_name="p", prompt_hash="h" * 64, settings={}
    )
    draft = Draft(hallucinations=[], omissions=[], rewrite=rewrite, verdict="needs_edit")
    for i in range(n):
        cid = f"c{i:03d}"
        store.clips.upsert(Clip(id=cid, video="/v.mp4", content_hash=cid), rewrite)
        store.runs.save_draft(
            "bench",
            DraftResult(
                clip=cid,
                caption=rewrite,
                draft=draft,
                model="m",
                prompt=PromptRef(name="p", hash="h" * 64),
            ),
        )
    return store


def timed_decisions(tmp: str, n_words: int, repeat: int) -> dict[str, float]:
    rewrite = repeated(n_words)
    finals = {
        "accept": None,
        "edit 10 words": edited(rewrite),
        "unrelated rewrite": unrelated(n_words),
    }
    out: dict[str, float] = {}
    for label, final in finals.items():
        url = f"sqlite:///{Path(tmp) / f'{n_words}-{label}.db'}"
        store = store_with(url, repeat, rewrite)
        ann = ReviewSession(store, "ann", "bench")
        times = []
        after = None
        for _ in range(repeat):
            item = ann.next_item(after=after)
            assert item is not None
            t0 = time.perf_counter()
            if final is None:
                ann.decide(item, Decision.ACCEPTED, seconds=1)
            else:
                ann.decide(item, Decision.EDITED, final, seconds=1)
            times.append((time.perf_counter() - t0) * 1000)
            after = item.clip_id
        out[label] = statistics.median(times)
        t0 = time.perf_counter()
        compare(rewrite, final or rewrite)  # what the page's "draft -> your edit" diff costs
        out[f"{label} (diff)"] = (time.perf_counter() - t0) * 1000
        store.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--words", type=int, nargs="+", default=[2000, 20_000])
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        rows = [(n, timed_decisions(tmp, n, args.repeat)) for n in args.words]
    print("| caption words | decision | decide(), median ms | the diff alone, ms |")
    print("|---:|---|---:|---:|")
    for n, got in rows:
        for label in ("accept", "edit 10 words", "unrelated rewrite"):
            print(f"| {n:,} | {label} | {got[label]:.0f} | {got[label + ' (diff)']:.0f} |")


if __name__ == "__main__":
    main()
