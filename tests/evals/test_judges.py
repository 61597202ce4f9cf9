"""The LLM judge against the fake server: structured answers, cached in the store."""

from __future__ import annotations

from pathlib import Path

from agent.settings import Settings
from agent.store import Store
from evals.judges import LLMJudge
from tests.conftest import TEST_KEY
from tests.fake_openai import FakeOpenAI, Reply


def test_llm_judge_answers_are_structured_and_cached(tmp_path: Path) -> None:
    store = Store(tmp_path / "r.db")
    with FakeOpenAI(expect_key=TEST_KEY) as fake:
        fake.enqueue(
            Reply.draft({"supported": [True, False], "covered": [True]}),
            Reply.draft({"pairs": [[0, 0], [0, 1], [5, 0]]}),
        )
        judge = LLMJudge(Settings(base_url=fake.url, api_key=TEST_KEY, model="judge"), store)
        try:
            gold, rewrite = (
                ["the robot pushes the drawer in"],
                ["the robot pushes the drawer", "it opens"],
            )
            assert judge.clause_support(gold, rewrite) == ([True, False], [True])
            assert judge.clause_support(gold, rewrite) == ([True, False], [True])  # cached
            # out-of-range and repeated indices are dropped
            assert judge.omission_matches(["a", "b"], ["x", "y"]) == [(0, 0)]
        finally:
            judge.close()
        assert len(fake.requests) == 2
        sent = fake.requests[0]
        assert sent["tool_choice"]["function"]["name"] == "ClaimJudgement"
        assert "GOLD" in sent["messages"][1]["content"]
    assert judge.name.startswith("llm:judge:judge-v1@") and not judge.weak
