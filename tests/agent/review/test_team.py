"""The team figures on a scripted day of two reviewers, against values worked out by hand."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.review import agreement, by_reviewer_and_day, decisions, totals
from agent.store import Clip, Review, Store
from recap.main import app


def at(day: int, hh: int, mm: int) -> datetime:
    return datetime(2026, 1, day, hh, mm, tzinfo=UTC)


@pytest.fixture
def team_db(tmp_path: Path) -> str:
    """ann on day 5: c1 accepted 09:00, c2 edited 09:02, c3 rejected 09:04, c4 edited 09:05 and
    undone 09:06, c4 accepted 09:30. bob on day 5: c1 rejected 10:00, c2 edited 10:01; day 6:
    c3 rejected 11:00. ann also decides c1 in run r2 (left out when asking for r1)."""
    url = f"sqlite:///{tmp_path / 'team.db'}"
    store = Store(url)
    for run in ("r1", "r2"):
        store.runs.ensure(run, drafter="offline", model=None, prompt_name=None, prompt_hash=None,
                          settings={})  # fmt: skip
    for i in range(1, 5):
        store.clips.upsert(Clip(id=f"c{i}", video="v.mp4", content_hash=str(i)), "caption")
    script = [
        ("ann", "c1", "accepted", "a b c d", 0.0, 30, at(5, 9, 0)),
        ("ann", "c2", "edited", "x y", 0.5, 60, at(5, 9, 2)),
        ("ann", "c3", "rejected", "p q r", 1.0, 90, at(5, 9, 4)),
        ("ann", "c4", "edited", "undone text", 0.9, 99, at(5, 9, 5)),
        ("bob", "c1", "rejected", "a b c e", 0.6, 40, at(5, 10, 0)),
        ("bob", "c2", "edited", "x y", 0.5, 50, at(5, 10, 1)),
        ("bob", "c3", "rejected", "p q r s", 0.8, 10, at(6, 11, 0)),
    ]
    for reviewer, clip_id, decision, final, rate, seconds, when in script:
        store.reviews.add(
            Review(
                clip_id=clip_id,
                run="r1",
                reviewer=reviewer,
                decision=decision,
                final_caption=final,
                edit_rate=rate,
                seconds=seconds,
                created_at=when,
            )
        )
    undone = next(r for r in store.reviews.all() if r.final_caption == "undone text")
    store.reviews.add(
        Review(clip_id="c4", run="r1", reviewer="ann", decision="undo", undoes=undone.id,
               created_at=at(5, 9, 6))
    )  # fmt: skip
    for run, when in (("r1", at(5, 9, 30)), ("r2", at(5, 9, 31))):
        store.reviews.add(
            Review(clip_id="c4" if run == "r1" else "c1", run=run, reviewer="ann",
                   decision="accepted", final_caption="a b", edit_rate=0.0, seconds=20,
                   created_at=when)
        )  # fmt: skip
    store.close()
    return url


def test_per_reviewer_and_day_matches_the_hand_computed_figures(team_db: str) -> None:
    days = by_reviewer_and_day(decisions(Store(team_db), "r1"))
    got = [(d.reviewer, d.day, d.clips) for d in days]
    day5, day6 = date(2026, 1, 5), date(2026, 1, 6)
    assert got == [("ann", day5, 4), ("bob", day5, 2), ("bob", day6, 1)]
    ann, bob5, bob6 = days
    # ann: gaps 2 min, 2 min, 26 min (a break: counts 10) -> 14 min active, 4 clips
    assert ann.clips_per_hour == pytest.approx(4 / (14 / 60))
    assert ann.accept_rate == 0.5
    assert ann.mean_edit_rate == pytest.approx((0 + 0.5 + 1 + 0) / 4)
    assert ann.mean_seconds == pytest.approx((30 + 60 + 90 + 20) / 4)
    # bob day 5: one minute apart (the one-minute floor) -> 2 clips in 1/60 h
    assert bob5.clips_per_hour == pytest.approx(120)
    assert (bob5.accept_rate, bob5.mean_edit_rate, bob5.mean_seconds) == (0.0, 0.55, 45)
    # a single decision counts a minute
    assert bob6.clips_per_hour == pytest.approx(60)


def test_every_run_counts_each_runs_decisions(team_db: str) -> None:
    days = by_reviewer_and_day(decisions(Store(team_db)))
    assert [d.clips for d in days] == [5, 2, 1]  # ann's c1 in r2 is another clip decided
    assert agreement(decisions(Store(team_db)))[0].clips == 3  # pairs stay within a run


def test_team_totals_against_a_daily_target(team_db: str) -> None:
    days = by_reviewer_and_day(decisions(Store(team_db), "r1"))
    assert totals(days, 8) == [
        {"day": date(2026, 1, 5), "clips": 6, "reviewers": 2, "target": 8, "of_target": 0.75},
        {"day": date(2026, 1, 6), "clips": 1, "reviewers": 1, "target": 8, "of_target": 0.125},
    ]


def test_agreement_of_two_reviewers_on_the_same_clips(team_db: str) -> None:
    [pair] = agreement(decisions(Store(team_db), "r1"))
    assert (pair.first, pair.second, pair.clips) == ("ann", "bob", 3)
    # ann: accepted, edited, rejected; bob: rejected, edited, rejected
    # p_o = 2/3; p_e = 1/3*0 + 1/3*1/3 + 1/3*2/3 = 1/3; kappa = (2/3 - 1/3) / (1 - 1/3)
    assert pair.same_decision == pytest.approx(2 / 3)
    assert pair.kappa == pytest.approx(0.5)
    # ann's finals against bob's: 1 substitution + 0 + 1 insertion over 4 + 2 + 4 words
    assert pair.caption_ter == pytest.approx(20.0)


def test_recap_team_prints_the_tables_and_writes_csv(team_db: str, tmp_path: Path) -> None:
    out = tmp_path / "team.csv"
    r = CliRunner().invoke(
        app,
        ["team", "--db", team_db, "--run", "r1", "--target", "8", "--csv", str(out)],
        env={"COLUMNS": "200"},
    )
    assert r.exit_code == 0, r.output
    assert "Per reviewer and day" in r.output and "75%" in r.output and "0.50" in r.output
    rows = list(csv.DictReader(out.open()))
    assert [(row["reviewer"], row["day"], row["clips"]) for row in rows] == [
        ("ann", "2026-01-05", "4"),
        ("bob", "2026-01-05", "2"),
        ("bob", "2026-01-06", "1"),
    ]
    assert float(rows[0]["clips_per_hour"]) == pytest.approx(4 / (14 / 60))
    r = CliRunner().invoke(app, ["team", "--db", team_db, "--run", "nope"])
    assert r.exit_code == 1 and "No run named 'nope'" in r.output


HOSTILE_NAMES = ['=HYPERLINK("http://x.test","ok")', "+1+2", "-3", "@SUM(A1)", "[bold red]x[/]"]


def test_names_reach_a_terminal_as_text_and_a_spreadsheet_never_as_a_formula(
    tmp_path: Path,
) -> None:
    """Reviewer names are typed by people (loopback mode takes any): `recap team` prints Rich
    markup in them as text, and its CSV (the team page's download too) quotes a formula."""
    from agent.review import to_csv

    url = f"sqlite:///{tmp_path / 'names.db'}"
    store = Store(url)
    store.runs.ensure("r1", drafter="offline", model=None, prompt_name=None, prompt_hash=None,
                      settings={})  # fmt: skip
    store.clips.upsert(Clip(id="c1", video="v.mp4", content_hash="1"), "caption")
    for i, name in enumerate(HOSTILE_NAMES):
        store.reviews.add(
            Review(clip_id="c1", run="r1", reviewer=name, decision="accepted", final_caption="a",
                   edit_rate=0.0, seconds=10, created_at=at(5, 9, i))
        )  # fmt: skip
    store.close()
    out = tmp_path / "team.csv"
    r = CliRunner().invoke(
        app, ["team", "--db", url, "--run", "r1", "--csv", str(out)], env={"COLUMNS": "250"}
    )
    assert r.exit_code == 0, r.output
    assert "[bold red]x[/]" in r.output
    names = sorted(row["reviewer"] for row in csv.DictReader(out.open()))
    assert names == sorted(["'" + n if n[0] in "=+-@" else n for n in HOSTILE_NAMES])
    page = to_csv(by_reviewer_and_day(decisions(Store(url), "r1")))  # the team page's download
    assert sorted(row["reviewer"] for row in csv.DictReader(io.StringIO(page))) == names
