"""Which run the review page and `recap review` open on when none is named: the latest
production run, said in the command's first line, never a newer evaluation run."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from typer.testing import CliRunner

from agent.schema import Draft, DraftResult, PromptRef
from agent.sets import Selection, SetKind
from agent.store import Clip, Store
from recap.main import app as cli
from ui import commands

APP = str(Path(__file__).resolve().parents[2] / "ui" / "review.py")


@pytest.fixture
def with_eval_run(review_db: str) -> str:
    """review_db's production run r1, then a newer run over an evaluation set."""
    store = Store(review_db)
    video = store.clips.get("c1").video
    store.sets.ensure("gold", SetKind.EVALUATION)
    store.clips.upsert(Clip(id="g1", video=video, content_hash="g1"), "A gold row.", into="gold")
    store.runs.ensure(
        "eval",
        drafter="llm",
        model="m",
        prompt_name="p",
        prompt_hash="h" * 64,
        settings={},
        selection=Selection.of_sets(["gold"]),
    )
    draft = Draft(hallucinations=[], omissions=[], rewrite="A gold row.", verdict="accurate")
    store.runs.save_draft(
        "eval",
        DraftResult(clip="g1", caption="A gold row.", draft=draft, model="m",
                    prompt=PromptRef(name="p", hash="h" * 64)),
    )  # fmt: skip
    store.close()
    return review_db


def test_recap_review_opens_the_latest_production_run_and_says_so(
    with_eval_run: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    launched: list[dict[str, str]] = []
    monkeypatch.setattr(
        commands, "run_page_server", lambda cmd, env, **_: launched.append(env) or 0
    )
    result = CliRunner().invoke(cli, ["review", "--db", with_eval_run, "--reviewer", "ann"])
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[0] == (
        "run r1 (the latest production run; pick another with --run NAME)"
    )
    assert launched[0]["RECAP_REVIEW_RUN"] == "r1"
    result = CliRunner().invoke(cli, ["review", "--db", with_eval_run, "--run", "latest"])
    assert result.exit_code == 0 and launched[1]["RECAP_REVIEW_RUN"] == "eval"


def test_the_page_opens_on_the_latest_production_run(
    with_eval_run: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("RECAP_DB", with_eval_run)
    monkeypatch.setenv("RECAP_REVIEWER", "ann")
    monkeypatch.setenv("RECAP_CACHE_DIR", str(tmp_path / "cache"))
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert at.selectbox(key="run").value == "r1"
    assert "c1" in at.markdown[0].value
