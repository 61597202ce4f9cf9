"""Judges decide when two phrasings say the same thing: omission matching and clause support.

`LexicalJudge` works offline: content-word overlap with a guard for the words whose change
flips meaning (colours, sides, directions, counts, negation, outcome). It is the weaker judge
and reports say so. `LLMJudge` asks a model through the same client as drafting, with a
versioned prompt (`prompts/judge-v1`), and caches every answer in the store.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from typing import Any, Protocol

from pydantic import BaseModel, Field

from agent.drafting import ModelClient, load_prompt
from agent.settings import Settings
from agent.store import Store
from evals.matching import match_pairs

STOPWORDS = set(
    [
        "a",
        "an",
        "the",
        "of",
        "to",
        "in",
        "on",
        "at",
        "by",
        "for",
        "from",
        "with",
        "into",
        "onto",
        "over",
        "under",
        "it",
        "its",
        "is",
        "are",
        "be",
        "being",
        "was",
        "were",
        "this",
        "that",
        "these",
        "those",
        "then",
        "and",
        "or",
        "but",
        "as",
        "so",
        "very",
        "just",
        "also",
        "there",
        "here",
        "their",
        "his",
        "her",
        "robot",
        "robotic",
        "arm",
    ]
)
# Words whose presence or absence changes what happened: a clause missing one is not supported.
CRITICAL = set(
    [
        "red",
        "green",
        "blue",
        "yellow",
        "orange",
        "purple",
        "pink",
        "black",
        "white",
        "grey",
        "gray",
        "brown",
        "left",
        "right",
        "up",
        "down",
        "near",
        "far",
        "front",
        "back",
        "behind",
        "above",
        "below",
        "top",
        "bottom",
        "inside",
        "outside",
        "open",
        "opens",
        "opened",
        "close",
        "closes",
        "closed",
        "not",
        "no",
        "never",
        "fails",
        "failed",
        "failure",
        "succeeds",
        "success",
        "successfully",
        "misses",
        "drops",
        "dropped",
        "slips",
        "one",
        "two",
        "three",
        "four",
        "five",
        "twice",
        "once",
        "again",
    ]
)
_WORD = re.compile(r"[a-z0-9]+")


def stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 2 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def content(text: str) -> set[str]:
    return {stem(w) for w in _WORD.findall(text.lower()) if w not in STOPWORDS}


def critical(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if w in CRITICAL}


class Judge(Protocol):
    name: str
    weak: bool

    def omission_matches(self, pred: list[str], gold: list[str]) -> list[tuple[int, int]]: ...

    def clause_support(self, gold: list[str], rewrite: list[str]) -> tuple[list[bool], list[bool]]:
        """(each rewrite clause supported by gold?, each gold clause covered by the rewrite?)"""
        ...


class LexicalJudge:
    name = "lexical"
    weak = True

    def __init__(self, match: float = 0.5, entail: float = 0.75) -> None:
        self.match = match
        self.entail_at = entail

    def similarity(self, a: str, b: str) -> float:
        ca, cb = content(a), content(b)
        if not ca or not cb:
            return 0.0
        inter = len(ca & cb)
        return 2 * inter / (len(ca) + len(cb))

    def entails(self, premise: str, hypothesis: str) -> bool:
        h = content(hypothesis)
        if not h or not critical(hypothesis) <= critical(premise):
            return False
        return len(h & content(premise)) / len(h) >= self.entail_at

    def omission_matches(self, pred: list[str], gold: list[str]) -> list[tuple[int, int]]:
        return match_pairs([[self.similarity(p, g) for g in gold] for p in pred], self.match)

    def clause_support(self, gold: list[str], rewrite: list[str]) -> tuple[list[bool], list[bool]]:
        supported = [any(self.entails(g, r) for g in gold) for r in rewrite]
        covered = [any(self.entails(r, g) for r in rewrite) for g in gold]
        return supported, covered


class ClaimJudgement(BaseModel):
    """The model judge's answer on clause support. Its name, its field descriptions and the
    request text say "claim" (AutoDQ's word): they are what the judge is sent, as recorded in
    the cassettes, so they stay as they are."""

    supported: list[bool] = Field(
        description="For each REWRITE claim, in order: is it stated "
        "or directly implied by the GOLD caption?"
    )
    covered: list[bool] = Field(
        description="For each GOLD claim, in order: does the REWRITE state or directly imply it?"
    )


class OmissionMatch(BaseModel):
    pairs: list[tuple[int, int]] = Field(
        description="[predicted index, gold index] for each "
        "predicted omission that describes the same missing "
        "thing as a gold omission; each index at most once."
    )


class LLMJudge:
    """A model as judge: cached answers, one call per case and question."""

    weak = False

    def __init__(self, settings: Settings, store: Store) -> None:
        self.client = ModelClient(settings, modes=store.endpoints)
        self.prompt = load_prompt("judge-v1", settings.prompts_dir)
        self.store = store
        self.name = f"llm:{self.client.model}:{self.prompt.ref.version}"
        self._loop = asyncio.new_event_loop()

    def _ask(self, question: str, payload: dict[str, Any], model: type[BaseModel]) -> Any:
        key = hashlib.sha256(
            json.dumps([self.name, question, payload], sort_keys=True).encode()
        ).hexdigest()
        cached = self.store.runs.cache_get_json(key)
        if cached is not None:
            return model.model_validate(cached)
        user = self.prompt.render_user(
            "question", question=question, payload=json.dumps(payload, indent=1)
        )
        messages = [
            {"role": "system", "content": self.prompt.system},
            {"role": "user", "content": user},
        ]
        answer, _stats = self._loop.run_until_complete(self.client.structured(messages, model))
        self.store.runs.cache_put_json(key, answer.model_dump(mode="json"))
        return answer

    def clause_support(self, gold: list[str], rewrite: list[str]) -> tuple[list[bool], list[bool]]:
        if not gold or not rewrite:
            return [False] * len(rewrite), [False] * len(gold)
        j = self._ask("Judge claim support.", {"GOLD": gold, "REWRITE": rewrite}, ClaimJudgement)
        pad = lambda xs, n: (list(xs) + [False] * n)[:n]  # noqa: E731
        return pad(j.supported, len(rewrite)), pad(j.covered, len(gold))

    def omission_matches(self, pred: list[str], gold: list[str]) -> list[tuple[int, int]]:
        if not pred or not gold:
            return []
        m = self._ask("Match omissions.", {"PREDICTED": pred, "GOLD": gold}, OmissionMatch)
        seen_p: set[int] = set()
        seen_g: set[int] = set()
        out = []
        for p, g in m.pairs:
            if 0 <= p < len(pred) and 0 <= g < len(gold) and p not in seen_p and g not in seen_g:
                out.append((p, g))
                seen_p.add(p)
                seen_g.add(g)
        return out

    def close(self) -> None:
        self._loop.run_until_complete(self.client.aclose())
        self._loop.close()
