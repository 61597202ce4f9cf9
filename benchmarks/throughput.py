"""Achieved request rate against a rate-limited endpoint: recap's job vs a fixed thread pool.

A fake OpenAI-compatible server on 127.0.0.1 answers in 1 to 3 s and allows 600 requests per
minute (429 with retry-after-ms beyond that, counted over a sliding minute). Both approaches
draft the same N clips in the same run:

- recap: `Job` with `--rpm 600` (rate limiter in the transport, bounded concurrency).
- plain: a ThreadPoolExecutor of 32 threads calling the OpenAI SDK's sync client, with the
  SDK's default retries (2, honouring Retry-After), no client-side limit.

Prints achieved successful requests per minute as a fraction of the limit, and the 429s.

    python benchmarks/throughput.py            # 2,000 clips each (about 8 minutes)
    python benchmarks/throughput.py --clips 300
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import openai

from agent.data import ingest
from agent.drafting import ModelDrafter, RateLimiter
from agent.runs import Job, JobOptions
from agent.settings import Settings
from agent.store import Store
from tests.clips import make_clip
from tests.fake_openai import FakeOpenAI

LIMIT = 600


def dataset(root: Path, n: int) -> Path:
    make_clip(root / "clip.mp4", seconds=5, fps=10)
    rows = [
        {"id": f"c{i:05d}", "video": "clip.mp4", "caption": f"The robot pushes block {i}."}
        for i in range(n)
    ]
    path = root / "manifest.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def arrivals(fake: FakeOpenAI) -> list[float]:
    """Record when each request reaches the server (monotonic seconds)."""
    stamps: list[float] = []
    original = fake._next

    def wrapped(request: dict) -> object:
        stamps.append(time.monotonic())
        return original(request)

    fake._next = wrapped  # type: ignore[method-assign]
    return stamps


def steady_rpm(stamps: list[float], ok: int) -> float:
    """Successful requests per minute between the first and the last arrival."""
    span = max(stamps) - min(stamps) if len(stamps) > 1 else 0.0
    return (ok - 1) / span * 60 if span > 0 else 0.0


def run_recap(n: int, root: Path) -> dict[str, float]:
    with FakeOpenAI(latency=(1.0, 3.0), rpm_limit=LIMIT) as fake:
        stamps = arrivals(fake)
        store = Store(root / "recap.db")
        ingest(store, dataset(root, n))
        settings = Settings(base_url=fake.url, model="fake", timeout_s=30)
        limiter = RateLimiter(rpm=LIMIT)

        async def go() -> float:
            drafter = ModelDrafter(settings, limiter=limiter)
            t0 = time.perf_counter()
            try:
                await Job(
                    store, drafter, JobOptions(run="bench", concurrency=40, use_cache=False)
                ).run()
            finally:
                await drafter.aclose()
            return time.perf_counter() - t0

        elapsed = asyncio.run(go())
        ok = fake.stats["ok"]
        return {
            "ok": ok,
            "elapsed_s": elapsed,
            "rpm": ok / elapsed * 60,
            "steady": steady_rpm(stamps, ok),
            "server_429": fake.stats["429"],
            "drafted": len(store.runs.drafts("bench")),
        }


def run_plain(n: int, threads: int = 32) -> dict[str, float]:
    with FakeOpenAI(latency=(1.0, 3.0), rpm_limit=LIMIT) as fake:
        stamps = arrivals(fake)
        client = openai.OpenAI(base_url=fake.url, api_key="x", timeout=30)
        caption = "The robot pushes the block."

        def one(i: int) -> bool:
            try:
                client.chat.completions.create(
                    model="fake",
                    messages=[{"role": "user", "content": f"<caption>\n{caption} {i}\n</caption>"}],
                )
                return True
            except openai.APIError:
                return False

        t0 = time.perf_counter()
        with ThreadPoolExecutor(threads) as pool:
            results = list(pool.map(one, range(n)))
        elapsed = time.perf_counter() - t0
        ok = fake.stats["ok"]
        return {
            "ok": ok,
            "elapsed_s": elapsed,
            "rpm": ok / elapsed * 60,
            "steady": steady_rpm(stamps, ok),
            "server_429": fake.stats["429"],
            "failed": results.count(False),
        }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clips", type=int, default=2000)
    ap.add_argument("--threads", type=int, default=32)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        ours = run_recap(args.clips, Path(d))
    plain = run_plain(args.clips, args.threads)
    print(f"{args.clips} clips, server latency 1-3 s, limit {LIMIT} requests/min\n")
    print(
        "| approach | succeeded | elapsed | req/min end to end | fraction | "
        "req/min first to last request | fraction | 429s |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for label, r in (
        (f"recap job, --rpm {LIMIT}", ours),
        (f"fixed pool of {args.threads} threads, SDK retries", plain),
    ):
        failed = f" ({r['failed']} failed)" if r.get("failed") else ""
        print(
            f"| {label} | {r['ok']}{failed} | {r['elapsed_s']:.0f} s | {r['rpm']:.0f} | "
            f"{r['rpm'] / LIMIT:.3f} | {r['steady']:.0f} | {r['steady'] / LIMIT:.3f} | "
            f"{r['server_429']} |"
        )


if __name__ == "__main__":
    main()
