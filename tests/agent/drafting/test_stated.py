"""The model's stated confidence: a prompt folder asks for it (`prompt.toml`), the answer is then a
`StatedDraft` validated like any field, and the number is stored with the draft and fed to its
confidence. The built-in prompt does not ask, so its version is what it was."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from agent.data import ingest
from agent.drafting._prompts import BUILTIN_DIR, load_prompt
from agent.errors import ConfigError
from agent.routing import score_drafts
from agent.runs import JobStats
from agent.schema import Draft, StatedDraft
from agent.settings import Settings
from agent.store import Store
from tests.agent.drafting.test_sampled import drafted as sampled_job
from tests.agent.runs.test_jobs import job_settings, make_dataset
from tests.fake_openai import FakeOpenAI, Reply, accurate_responder, has_caption

STATED = 0.7


def stated_prompts(root: Path, options: str = "[draft]\nstated_confidence = true\n") -> Path:
    """A prompts folder holding review-v1 as it ships and `stated-v1`: the same templates and a
    prompt.toml."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copytree(BUILTIN_DIR / "review-v1", root / "review-v1")
    shutil.copytree(BUILTIN_DIR / "review-v1", root / "stated-v1")
    (root / "stated-v1" / "prompt.toml").write_text(options)
    return root


def confident(request: dict[str, Any]) -> dict[str, Any]:
    return {**accurate_responder(request), "confidence": STATED}


def drafted(store: Store, settings: Settings, run: str) -> JobStats:
    return sampled_job(store, settings, run, concurrency=2)


def test_a_prompt_that_asks_gets_the_stated_confidence_stored_and_scored(
    db_url: str, tmp_path: Path
) -> None:
    root = stated_prompts(tmp_path / "prompts")
    store = Store(db_url)
    ingest(store, make_dataset(tmp_path / "ds", 3))
    with FakeOpenAI(confident) as fake:
        settings = job_settings(fake, mode="json_schema", prompts_dir=root, prompt="stated-v1")
        assert drafted(store, settings, "stated").drafted == 3
        asked = [r for r in fake.requests if has_caption(r)]
    # the schema sent asks for it, required, in [0, 1]
    schema = asked[0]["response_format"]["json_schema"]["schema"]
    assert "confidence" in schema["required"]
    assert schema["properties"]["confidence"]["maximum"] == 1.0
    assert "exactly right" in schema["properties"]["confidence"]["description"]

    records = store.runs.drafts("stated")
    assert [r.stated_confidence for r in records] == [STATED] * 3
    assert all(type(r.draft) is Draft for r in records)  # everything downstream reads a Draft
    scores = score_drafts(store, records)
    for r in records:
        parts = scores[r.id].parts
        assert parts.stated == STATED
        assert scores[r.id].score == pytest.approx(parts.claims * STATED)
        assert "stated 0.70" in scores[r.id].explain()


def test_a_stated_confidence_out_of_range_is_asked_again(db_url: str, tmp_path: Path) -> None:
    root = stated_prompts(tmp_path / "prompts")
    store = Store(db_url)
    ingest(store, make_dataset(tmp_path / "ds", 1))
    with FakeOpenAI(confident) as fake:
        caption = "The robot pushes block 0."
        first = {**accurate_responder_for(caption), "confidence": 1.5}
        fake.enqueue(Reply.draft(first))
        settings = job_settings(fake, mode="json_schema", prompts_dir=root, prompt="stated-v1")
        assert drafted(store, settings, "asked-again").drafted == 1
        asked = [r for r in fake.requests if has_caption(r)]
    assert len(asked) == 2  # the answer with 1.5 failed validation: asked again
    assert "confidence" in str(asked[1]["messages"][-1]["content"])
    (record,) = store.runs.drafts("asked-again")
    assert record.reasks == 1 and record.stated_confidence == STATED


def accurate_responder_for(caption: str) -> dict[str, Any]:
    return {
        "observations": "as captioned",
        "hallucinations": [],
        "omissions": [],
        "rewrite": caption,
        "verdict": "accurate",
    }


def test_the_builtin_prompt_asks_for_no_confidence_and_keeps_its_version(tmp_path: Path) -> None:
    root = stated_prompts(tmp_path / "prompts")
    builtin = load_prompt("review-v1")
    assert builtin.response_model is Draft and builtin.options == {}
    # a copy of it is the same version; the same templates with a prompt.toml are another
    assert load_prompt("review-v1", root).ref.hash == builtin.ref.hash
    stated = load_prompt("stated-v1", root)
    assert stated.response_model is StatedDraft and stated.ref.hash != builtin.ref.hash
    assert "confidence" not in Draft.model_json_schema()["properties"]


@pytest.mark.parametrize(
    ("options", "says"),
    [
        ("[draft]\nstated_confidence = 1\n", "must be true or false"),
        ("[draft]\nconfidence = true\n", "has no option 'confidence'"),
        ("[other]\nx = 1\n", "only a [draft] table is read"),
        ("[draft\n", "is not valid TOML"),
    ],
)
def test_a_bad_prompt_toml_is_refused_naming_file_and_key(
    tmp_path: Path, options: str, says: str
) -> None:
    root = stated_prompts(tmp_path / "prompts", options)
    with pytest.raises(ConfigError, match=r"prompt\.toml") as raised:
        load_prompt("stated-v1", root)
    assert says in str(raised.value)


def test_the_stated_draft_gives_back_a_plain_draft() -> None:
    answer = StatedDraft.model_validate(
        {**accurate_responder_for("The robot waves."), "confidence": 0.25}
    )
    draft = answer.as_draft()
    assert (
        type(draft) is Draft
        and draft.model_dump()
        == Draft.model_validate(accurate_responder_for("The robot waves.")).model_dump()
    )
    with pytest.raises(ValueError, match="less than or equal to 1"):
        StatedDraft.model_validate({**accurate_responder_for("x"), "confidence": 1.01})
