"""`recap feedback`: the three files from a gold set, and every bad input as one clear error
with exit status 1 and no traceback."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.data import ingest
from agent.schema import Draft, DraftResult, PromptRef
from agent.store import Store
from recap.main import app

SAMPLE = Path(__file__).parents[3] / "evals" / "datasets" / "sample" / "manifest.jsonl"
runner = CliRunner()


@pytest.fixture
def sample_db(tmp_path: Path) -> str:
    """The bundled sample ingested (set `sample`), and a run `r` that drafted it and has no
    review yet."""
    url = f"sqlite:///{tmp_path / 'recap.db'}"
    store = Store(url)
    ingest(store, SAMPLE)
    store.runs.ensure(
        "r", drafter="offline", model=None, prompt_name=None, prompt_hash=None, settings={}
    )
    for clip, caption in store.clips.with_captions():
        draft = Draft.model_validate({"rewrite": caption, "verdict": "accurate"})
        store.runs.save_draft(
            "r",
            DraftResult(
                clip=clip.id,
                caption=caption,
                draft=draft,
                model="offline",
                prompt=PromptRef(name="p", hash="h" * 64),
            ),
        )
    store.close()
    return url


def feedback(*args: str) -> object:
    return runner.invoke(app, ["feedback", *args], env={"COLUMNS": "200"})


def no_traceback(result: object) -> None:
    assert "Traceback" not in result.output + result.stderr  # type: ignore[attr-defined]


def test_from_the_gold_set_it_writes_the_three_files(sample_db: str, tmp_path: Path) -> None:
    out = tmp_path / "fb"
    r = feedback("--gold", str(SAMPLE), "--db", sample_db, "--out", str(out), "--by", "meta.mode")
    assert r.exit_code == 0, r.output + r.stderr
    data = json.loads((out / "feedback.json").read_text())
    assert data["clips"] == 30
    rates = {f["figure"]: f for f in data["profile"]}
    assert rates["any"]["captions"] == 30
    assert "meta.mode" in data["breakdowns"]
    assert len(data["summary"]) == 5 and all("95% CI" in s for s in data["summary"])
    md = (out / "feedback.md").read_text()
    assert md.index("The largest error sources") < md.index("Error profile")
    page = (out / "feedback.html").read_text()
    assert page.count("<svg") >= 2
    # self-contained: nothing is fetched (the only URL is SVG's namespace name)
    assert re.findall(r"https?://[^\s\"'<>]+", page) == ["http://www.w3.org/2000/svg"] * page.count(
        "<svg"
    )
    assert not re.search(r"<(script|link|img)\b", page)
    assert "wrote" in r.output


def test_a_run_with_no_reviews_says_how_many_clips_are_reviewed(
    sample_db: str, tmp_path: Path
) -> None:
    r = feedback("--run", "r", "--db", sample_db, "--out", str(tmp_path / "fb"))
    assert r.exit_code == 1
    assert "Run 'r' has no final reviews" in r.stderr
    assert "0 of its 30 clip(s) have been reviewed" in r.stderr
    assert "recap review --run r" in r.stderr
    no_traceback(r)
    assert not (tmp_path / "fb").exists()


def test_a_by_key_no_clip_has_lists_the_keys_there_are(sample_db: str, tmp_path: Path) -> None:
    r = feedback(
        "--gold",
        str(SAMPLE),
        "--db",
        sample_db,
        "--out",
        str(tmp_path / "fb"),
        "--by",
        "meta.robot",
    )
    assert r.exit_code == 1
    assert "no clip in the report has the meta key 'robot'" in r.stderr
    assert "meta.injected, meta.mode, meta.success, meta.task" in r.stderr
    no_traceback(r)


def test_a_gold_file_not_in_the_database_offers_ingest(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    Store(url).close()
    r = feedback("--gold", str(SAMPLE), "--db", url, "--out", str(tmp_path / "fb"))
    assert r.exit_code == 1
    assert "None of the 30 clip(s)" in r.stderr and f"recap ingest {SAMPLE}" in r.stderr
    no_traceback(r)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "Give --run RUN or --gold FILE"),
        (["--run", "r", "--gold", str(SAMPLE)], "Give --run RUN or --gold FILE"),
        (["--gold", "missing.jsonl"], "Gold file missing.jsonl does not exist"),
        (["--run", "nope"], "No run named 'nope'"),
        (["--gold", str(SAMPLE), "--compare-set", "sample", "v2"], "there is no set 'v2'"),
    ],
)
def test_other_bad_input(sample_db: str, tmp_path: Path, args: list[str], message: str) -> None:
    r = feedback(*args, "--db", sample_db, "--out", str(tmp_path / "fb"))
    assert r.exit_code == 1
    assert message in r.stderr
    no_traceback(r)


def test_a_missing_database_is_refused_and_not_created(tmp_path: Path) -> None:
    db = tmp_path / "none.db"
    r = feedback("--gold", str(SAMPLE), "--db", str(db), "--out", str(tmp_path / "fb"))
    assert r.exit_code == 1 and not db.exists()
    no_traceback(r)


def test_two_sets_compared(sample_db: str, tmp_path: Path) -> None:
    """The sample split into two sets by clip number: every figure's difference with its
    interval, clips in both sets left out and counted."""
    from agent.sets import SetKind

    store = Store(sample_db)
    ids = sorted(c.id for c, _ in store.clips.with_captions())
    for name in ("v1", "v2"):
        store.sets.ensure(name, SetKind.PRODUCTION)
    store.sets.add("v1", ids[:16])
    store.sets.add("v2", ids[15:])  # ids[15] is in both
    store.close()
    out = tmp_path / "fb"
    r = feedback(
        "--gold", str(SAMPLE), "--db", sample_db, "--out", str(out), "--compare-set", "v1", "v2"
    )
    assert r.exit_code == 0, r.stderr
    cmp = json.loads((out / "feedback.json").read_text())["comparison"]
    assert (cmp["a"], cmp["b"], cmp["in_both_left_out"]) == ("v1", "v2", 1)
    first = cmp["figures"][0]
    assert first["figure"] == "any" and (first["a"]["n"], first["b"]["n"]) == (15, 14)
    for f in cmp["figures"]:
        low, high = f["ci95"]
        assert low <= f["delta"] <= high
        assert f["beyond_chance"] == (low > 0 or high < 0)
    assert "## v1 against v2" in (out / "feedback.md").read_text()
