"""The review page at team scale: first clip and decision -> next clip, by run size and backend.

For each backend (SQLite, PostgreSQL) and each size, fills a fresh database with N drafted
clips (synthetic rows written in bulk, as a drafting run would leave them, no model), starts
the page exactly as `recap review` does, and drives it in headless Chromium with Playwright:

- first clip: from opening the page's URL to the first clip's heading on screen, on a freshly
  started server (cold: the server's first page run) and for a second reviewer (warm);
- decision -> next clip: press A (accept), time until the next clip's heading replaces it;
  median and p95 over `--decisions` decisions;
- "ready": the same, until that clip's rewrite box is on screen too (the heading is drawn
  first; the player, findings, box and buttons follow), so a reviewer can act on it.

Also prints the database's growth per drafted clip (its size less the empty schema's). Needs
Debian's chromium, Playwright and the PostgreSQL binaries (PostgreSQL rows are skipped without
them).

    python benchmarks/review_scale.py                     # 1,000 / 20,000 / 100,000
    python benchmarks/review_scale.py --sizes 1000 --decisions 10
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text

from agent.store import Store
from tests.clips import make_clip
from tests.ui.bulk import fill
from tests.ui.pageserver import page_server

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def db_bytes(url: str) -> int:
    store = Store(url)
    with store.engine.connect() as conn:
        if store.dialect == "sqlite":
            size = (
                conn.execute(text("PRAGMA page_count")).scalar()
                * conn.execute(text("PRAGMA page_size")).scalar()
            )
        else:
            size = conn.execute(text("SELECT pg_database_size(current_database())")).scalar()
    store.close()
    return size


def heading(page) -> str:
    return page.locator("h3").first.inner_text(timeout=60_000).split(" ")[0]


def rewrite_box(page, clip: str):
    """The rewrite box drawn for this clip (Streamlit tags a widget's container with its key)."""
    return page.locator(f".st-key-edit-{clip} textarea")


def drive(base: str, decisions: int) -> tuple[list[float], list[float], list[float], list[float]]:
    """First clip (shown, ready) for a fresh server and a second reviewer; then, per decision,
    the next clip shown and ready."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        times: list[float] = []
        ready: list[float] = []
        firsts, firsts_ready = [], []
        for who in ("ann", "bob"):
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            t0 = time.perf_counter()
            page.goto(f"{base}/?reviewer={who}&b={who}")
            page.locator("h3").first.wait_for(timeout=60_000)
            firsts.append(time.perf_counter() - t0)
            rewrite_box(page, heading(page)).wait_for(timeout=60_000)
            firsts_ready.append(time.perf_counter() - t0)
        # page is bob's now: he decides
        page.get_by_role("button", name="Accept").first.wait_for()
        for _ in range(decisions):
            clip = heading(page)
            page.get_by_role("button", name="Accept").first.wait_for()
            rewrite_box(page, clip).wait_for()
            t0 = time.perf_counter()
            page.locator("body").press("a")
            while True:
                now_on = page.locator("h3").first.inner_text()
                if not now_on.startswith(clip + " "):
                    break
                time.sleep(0.01)
            times.append(time.perf_counter() - t0)
            rewrite_box(page, now_on.split(" ")[0]).wait_for(timeout=60_000)
            ready.append(time.perf_counter() - t0)
        browser.close()
    return firsts, firsts_ready, times, ready


def p95(values: list[float]) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]


@contextmanager
def postgres() -> Iterator[str | None]:
    from tests.pg import PgUnavailable, postgres_server

    try:
        with postgres_server() as url:
            yield url
    except PgUnavailable as e:
        print(f"(no PostgreSQL: {e})", file=sys.stderr)
        yield None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1_000, 20_000, 100_000])
    ap.add_argument("--decisions", type=int, default=30)
    ap.add_argument("--backends", nargs="+", default=["sqlite", "postgresql"])
    args = ap.parse_args()
    if CHROMIUM is None:
        sys.exit("needs chromium (apt-get install chromium) and playwright")
    rows = []
    with tempfile.TemporaryDirectory() as tmp, postgres() as pg:
        tmp_path = Path(tmp)
        video = make_clip(tmp_path / "clip.mp4", seconds=5, fps=10)
        for backend in args.backends:
            for n in args.sizes:
                if backend == "sqlite":
                    url = f"sqlite:///{tmp_path / f'bench-{n}.db'}"
                    ctx = contextmanager(lambda url=url: iter([url]))()
                elif pg is None:
                    continue
                else:
                    from tests.pg import fresh_database

                    ctx = fresh_database(pg)
                with ctx as db:
                    Store(db).close()
                    empty = db_bytes(db)  # the schema (and PostgreSQL's catalog) alone
                    t0 = time.perf_counter()
                    fill(db, n, video)
                    filled = time.perf_counter() - t0
                    per_clip = (db_bytes(db) - empty) / n
                    with page_server(db, tmp_path / "cache", RECAP_REVIEW_RUN="bench") as base:
                        firsts, firsts_ready, times, ready = drive(base, args.decisions)
                rows.append(
                    (
                        backend,
                        n,
                        filled,
                        per_clip,
                        *firsts,
                        statistics.median(times),
                        p95(times),
                        *firsts_ready,
                        statistics.median(ready),
                        p95(ready),
                    )
                )
                print(f"{backend} {n}: done", file=sys.stderr, flush=True)
    print(
        "| backend | drafted clips | fill (s) | bytes per clip | first clip, fresh server (s) "
        "| first clip, second reviewer (s) | decision -> next clip, median (s) | p95 (s) "
        "| ready: fresh server (s) | ready: second reviewer (s) | ready: decision -> next, "
        "median (s) | ready: p95 (s) |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for backend, n, filled, per_clip, *figures in rows:
        print(
            f"| {backend} | {n:,} | {filled:.1f} | {per_clip:,.0f} | "
            + " | ".join(f"{x:.2f}" for x in figures)
            + " |"
        )


if __name__ == "__main__":
    main()
