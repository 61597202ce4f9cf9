"""Token log-probabilities (`--logprobs`): asked for, read back from the stored response into the
draft's confidence, absent with a note where the server gives none, and a refusal that stops the
run. Through real HTTP to the fake server, which answers every token at -0.1 / -0.3 in turn
(an odd last at -0.2): the mean is -0.2 whatever the answer."""

from __future__ import annotations

import asyncio
import json
import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.data import ingest
from agent.drafting._capability import Missing, capability_error
from agent.drafting._client import ModelClient
from agent.drafting._logprobs import token_logprobs
from agent.routing import score_drafts
from agent.runs import JobStats
from agent.schema import Draft
from agent.settings import Settings
from agent.store import Store, run_identity
from recap.main import app
from tests.agent.drafting.test_sampled import drafted as sampled_job
from tests.agent.runs.test_jobs import job_settings, make_dataset
from tests.fake_openai import LOGPROB_MEAN, FakeOpenAI, has_caption

N = 4


def drafted(store: Store, settings: Settings, run: str) -> JobStats:
    return sampled_job(store, settings, run, concurrency=2)


def chat(fake: FakeOpenAI) -> list[dict]:
    return [r for r in fake.requests if has_caption(r)]


def test_the_token_part_is_the_mean_log_probability_the_server_returned(
    db_url: str, tmp_path: Path
) -> None:
    store = Store(db_url)
    ingest(store, make_dataset(tmp_path / "ds", N))
    with FakeOpenAI() as fake:
        drafted(store, job_settings(fake, mode="json_schema", logprobs=True), "lp")
        asked = chat(fake)
        assert len(asked) == N and all(r.get("logprobs") is True for r in asked)
        drafted(store, job_settings(fake, mode="json_schema"), "plain")
        assert all("logprobs" not in r for r in chat(fake)[N:])  # off: the request as before

    records = store.runs.drafts("lp")
    scores = score_drafts(store, records)
    # exp of the mean log-probability (-0.2), by hand: 0.8187; the mean of the probabilities
    # (e^-0.1 + e^-0.3) / 2 = 0.8228 would be another number
    expected = math.exp(-0.2)
    assert LOGPROB_MEAN == -0.2
    for r in records:
        parts = scores[r.id].parts
        assert parts.token_prob == pytest.approx(expected, abs=1e-9)
        assert parts.token_prob != pytest.approx((math.exp(-0.1) + math.exp(-0.3)) / 2, abs=1e-4)
        assert scores[r.id].score == pytest.approx(parts.claims * expected)
        assert parts.notes == []
        assert "token probability 0.819" in scores[r.id].explain()

    plain = score_drafts(store, store.runs.drafts("plain"))
    assert all(c.parts.token_prob is None and c.parts.notes == [] for c in plain.values())

    # logprobs on is part of the run's identity; off leaves the identity as it was
    lp, off = store.runs.get("lp"), store.runs.get("plain")
    assert lp is not None and off is not None
    assert lp.settings["logprobs"] is True and "logprobs" not in off.settings
    assert run_identity(lp) != run_identity(off)


def test_no_logprobs_returned_leaves_the_part_out_with_a_note(db_url: str, tmp_path: Path) -> None:
    store = Store(db_url)
    ingest(store, make_dataset(tmp_path / "ds", N))
    with FakeOpenAI() as fake:  # a tool-call answer carries none (as OpenAI and Ollama answer)
        stats = drafted(store, job_settings(fake, mode="tools", logprobs=True), "tools")
        assert stats.drafted == N and all(r.get("logprobs") is True for r in chat(fake))
    with FakeOpenAI(logprobs="ignores") as fake:  # a server that drops the parameter
        stats = drafted(store, job_settings(fake, mode="json_schema", logprobs=True), "ignored")
        assert stats.drafted == N and all(r.get("logprobs") is True for r in chat(fake))

    for run, why in (("tools", "the answer is a tool call"), ("ignored", "returned none")):
        records = store.runs.drafts(run)
        scores = score_drafts(store, records)
        for r in records:
            parts = scores[r.id].parts
            assert parts.token_prob is None
            assert len(parts.notes) == 1 and parts.notes[0].startswith(
                "logprobs asked but the server returned none"
            )
            assert why in parts.notes[0]
            assert scores[r.id].score == pytest.approx(parts.claims)  # the other parts only


def test_a_server_that_refuses_logprobs_stops_the_run_with_what_to_do(
    db_url: str, tmp_path: Path
) -> None:
    store = Store(db_url)
    ingest(store, make_dataset(tmp_path / "ds", 6))
    with FakeOpenAI(logprobs="refuses") as fake:
        # auto: the mode-finder must not read the refusal as "tools does not work here" and
        # try the other modes (every one would be refused alike)
        stats = drafted(store, job_settings(fake, logprobs=True), "refused")
        sent = chat(fake)
    assert len(sent) == 1 and sent[0].get("tools")  # one request, in the first mode tried
    assert stats.fatal is not None
    assert "refuses token log-probabilities (--logprobs)" in stats.fatal
    assert "This model does not support the 'logprobs' parameter." in stats.fatal
    assert "Drop --logprobs (RECAP_LOGPROBS=0)" in stats.fatal
    assert store.runs.errors("refused") == []  # no clip is blamed
    assert len(store.runs.pending("refused")) == 6
    assert store.endpoints.recall(fake.url, "fake-vlm") is None  # no mode was found or kept


def test_the_refusal_is_a_capability_that_stops_a_job_not_a_mode_problem() -> None:
    for words in (
        "This model does not support the 'logprobs' parameter.",
        "Unrecognized request argument supplied: logprobs",
        "Gaudi doesn't support logprobs. Please remove 'logprobs'/'top_logprobs' from your "
        "request to receive a response.",
    ):
        found = capability_error(400, words)
        assert found is not None and found.missing is Missing.LOGPROBS, words
        assert not found.changes_mode
    assert capability_error(429, "logprobs is not supported") is None


def test_batch_requests_ask_for_logprobs_only_when_on(tmp_path: Path) -> None:
    base = {"base_url": "http://127.0.0.1:9/v1", "model": "m", "api_key": "sk-x-0000000000000"}
    on = ModelClient(Settings(**base, mode="tools", logprobs=True))
    off = ModelClient(Settings(**base, mode="tools"))
    messages = [{"role": "user", "content": "hi"}]
    assert on.batch_request("c1", messages, Draft)["body"]["logprobs"] is True
    assert "logprobs" not in off.batch_request("c1", messages, Draft)["body"]
    asyncio.run(on.aclose())
    asyncio.run(off.aclose())


def test_reading_the_mean_from_a_stored_response() -> None:
    def body(content: object, **message: object) -> str:
        choice = {"message": {"role": "assistant", "content": "{}", **message}}
        if content is not None:
            choice["logprobs"] = {"content": content}
        return json.dumps({"choices": [choice]})

    read = token_logprobs(body([{"logprob": -1.0}, {"logprob": -0.5}, {"logprob": 0.0}]))
    assert read.mean == pytest.approx(-0.5) and read.tokens == 3 and read.missing is None
    assert token_logprobs(None).missing == "no raw response is stored for this draft"
    assert token_logprobs("not json").missing == "the stored response is not JSON"
    assert token_logprobs(body(None)).missing == "logprobs asked but the server returned none"
    assert token_logprobs(body([])).mean is None
    calls = [{"id": "1", "type": "function", "function": {"name": "Draft", "arguments": "{}"}}]
    assert "tool call" in (token_logprobs(body(None, tool_calls=calls)).missing or "")
    bad = token_logprobs(body([{"logprob": -0.1}, {"logprob": None}]))
    assert bad.mean is None and "finite" in (bad.missing or "")


def test_the_flag_and_the_environment_turn_it_on(monkeypatch: pytest.MonkeyPatch) -> None:
    import typer

    from agent.cli._app import model_flags

    cmd = typer.Typer()

    @cmd.command()
    @model_flags
    def show(model_flags: dict) -> None:
        typer.echo(json.dumps(model_flags))

    runner = CliRunner()
    given = [json.loads(runner.invoke(cmd, a).output) for a in ([], ["--logprobs"])]
    assert given == [{}, {"logprobs": True}]  # not given: the environment's value stands
    monkeypatch.delenv("RECAP_LOGPROBS", raising=False)
    assert Settings().logprobs is False
    monkeypatch.setenv("RECAP_LOGPROBS", "1")
    assert Settings().logprobs is True
    result = runner.invoke(app, ["draft", "--help"])
    assert result.exit_code == 0 and "--logprobs" in result.output
