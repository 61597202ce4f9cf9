"""Mean rubric scores per reviewer and dimension (issue 28), on the team page (AppTest, single-user
mode) and in `recap team` and its CSV, only once scores exist, against figures worked out by
hand."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from typer.testing import CliRunner

from agent.guidelines import load_guidelines
from agent.review import ReviewSession
from agent.store import Store
from recap.main import app as cli
from tests.ui.test_review_rubric import RUBRIC

TEAM = str(Path(__file__).resolve().parents[2] / "ui" / "pages" / "team.py")


def team_page(db: str, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("RECAP_DB", db)
    at = AppTest.from_file(TEAM, default_timeout=60)
    at.run()
    at.selectbox(key="team-run").select("r1").run()
    assert not at.exception
    return at


def rubric_table(at: AppTest) -> list[dict] | None:
    heads = [h.value for h in at.subheader]
    if "Rubric scores per reviewer" not in heads:
        return None
    (frame,) = [d.value for d in at.dataframe if "dimension" in d.value.columns]
    return frame.to_dict("records")


def test_rubric_means_on_the_team_page_and_in_recap_team(
    review_db: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """ann: c1 accuracy 4, c2 accuracy 2 and language 3; bo: c3 accuracy 5. By hand: ann
    accuracy (4 + 2) / 2 = 3.00 over 2, language 3.00 over 1; bo accuracy 5.00 over 1."""
    path = tmp_path / "scored.toml"
    path.write_text(RUBRIC)
    scored = load_guidelines(path)
    store = Store(review_db)
    ann = ReviewSession(store, "ann", "r1", browser="ann")
    bo = ReviewSession(store, "bo", "r1", browser="bo")
    first = ann.next_item()
    ann.decide(first, "accepted", seconds=5)  # unscored: no rubric table yet
    assert rubric_table(team_page(review_db, monkeypatch)) is None
    plain = CliRunner().invoke(cli, ["team", "--db", review_db, "--run", "r1"])
    assert plain.exit_code == 0 and "Rubric" not in plain.output

    ann.undo()
    ann.decide(ann.resume(first.clip_id), "accepted", scores={"accuracy": 4}, guidelines=scored)
    item = ann.next_item(after=first.clip_id)
    ann.decide(item, "accepted", scores={"accuracy": 2, "language": 3}, guidelines=scored)
    bo.decide(bo.next_item(), "accepted", scores={"accuracy": 5}, guidelines=scored)
    store.close()

    rows = rubric_table(team_page(review_db, monkeypatch))
    assert rows == [
        {"reviewer": "ann", "dimension": "accuracy", "scale": "1-5", "n": 2, "mean": 3.0},
        {"reviewer": "ann", "dimension": "language", "scale": "1-5", "n": 1, "mean": 3.0},
        {"reviewer": "bo", "dimension": "accuracy", "scale": "1-5", "n": 1, "mean": 5.0},
    ]

    out = tmp_path / "team.csv"
    r = CliRunner().invoke(
        cli,
        ["team", "--db", review_db, "--run", "r1", "--csv", str(out)],
        env={"COLUMNS": "200"},
    )
    assert r.exit_code == 0, r.output
    lines = [" ".join(line.split("│")).split() for line in r.output.splitlines()]
    assert ["ann", "accuracy", "1-5", "2", "3.00"] in lines
    assert ["ann", "language", "1-5", "1", "3.00"] in lines
    assert ["bo", "accuracy", "1-5", "1", "5.00"] in lines
    table = list(csv.DictReader(out.open()))
    got = [
        (
            row["reviewer"],
            row["accuracy mean"],
            row["accuracy n"],
            row["language mean"],
            row["language n"],
        )
        for row in table
    ]
    assert got == [("ann", "3.0", "2", "3.0", "1"), ("bo", "5.0", "1", "", "")]
