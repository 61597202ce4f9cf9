"""The drafting interface: both drafters fit the `Drafter` protocol and make their results
through the one factory; importing the offline drafter loads no HTTP or database library."""

from __future__ import annotations

import asyncio
import inspect
import json
import subprocess
import sys
from pathlib import Path

import pytest

from agent.drafting import (
    BatchDrafter,
    Drafter,
    ModelDrafter,
    OfflineDrafter,
    Provenance,
    RunIdentity,
    make_drafter,
)
from agent.drafting._result import FREE
from agent.guidelines import default_guidelines
from agent.schema import Draft, Usage
from agent.settings import Settings
from tests.conftest import TEST_KEY
from tests.fake_openai import FakeOpenAI, Reply

ROOT = Path(__file__).resolve().parents[3]
HEAVY = ("openai", "instructor", "httpx", "sqlalchemy")


def protocol_members(protocol: type) -> set[str]:
    """The names a protocol declares: its annotated attributes, properties and methods."""
    names: set[str] = set()
    for klass in protocol.__mro__:
        if klass is object or not getattr(klass, "_is_protocol", False):
            continue
        names |= set(getattr(klass, "__annotations__", {}))
        names |= {n for n in vars(klass) if not n.startswith("_")}
    return names


def test_protocol_members_are_the_interface() -> None:
    """The checker below is only as good as this list: it must see what callers use."""
    members = protocol_members(Drafter)
    assert {"name", "settings", "capabilities", "where", "limiter", "describe"} <= members
    assert {"identity", "draft", "aclose"} <= members
    assert {"batch_request", "batch_result", "submit_batch", "sample"} <= protocol_members(
        BatchDrafter
    ) - members


def fits(drafter: object, protocol: type) -> list[str]:
    """What `drafter` lacks of `protocol`, or whose signature differs from the protocol's."""
    problems = []
    for name in sorted(protocol_members(protocol)):
        if not hasattr(drafter, name):
            problems.append(f"missing {name}")
            continue
        declared = inspect.getattr_static(protocol, name, None)
        if inspect.isfunction(declared):
            want = list(inspect.signature(declared).parameters)[1:]
            have = list(inspect.signature(getattr(drafter, name)).parameters)
            if want != have:
                problems.append(f"{name}{tuple(have)} is not {name}{tuple(want)}")
    return problems


@pytest.fixture
def model_drafter(fake: FakeOpenAI):
    drafter = ModelDrafter(Settings(base_url=fake.url, api_key=TEST_KEY, model="fake-vlm"))
    yield drafter
    asyncio.run(drafter.aclose())


def test_the_fit_check_sees_a_missing_member_and_a_different_signature() -> None:
    class Half(OfflineDrafter):
        def identity(self, run):  # type: ignore[override]
            return super().identity()

    problems = fits(Half(), Drafter)
    assert problems == ["identity('run',) is not identity()"]

    class NoWhere:
        name = "x"

    assert "missing where" in fits(NoWhere(), Drafter)


def test_both_drafters_fit_the_protocol(model_drafter: ModelDrafter) -> None:
    offline = OfflineDrafter()
    assert fits(offline, Drafter) == []
    assert fits(model_drafter, Drafter) == []
    assert fits(model_drafter, BatchDrafter) == []
    assert model_drafter.capabilities.batch and model_drafter.capabilities.ray
    assert not offline.capabilities.batch and not offline.capabilities.ray
    for d in (offline, model_drafter):
        assert isinstance(d.identity(), RunIdentity) and d.identity().drafter == d.name
        assert d.where and d.describe()
    assert model_drafter.where.startswith("http://127.0.0.1") and offline.limiter is None


CAPTION = "The robot grasps the red block and lifts it."
DRAFT = {
    "observations": "The gripper closes on the block and it rises.",
    "hallucinations": [],
    "omissions": [],
    "rewrite": CAPTION,
    "verdict": "accurate",
}


def test_both_drafters_record_the_same_provenance(fake: FakeOpenAI, clip: Path) -> None:
    """Every result names its drafter, model, prompt, usage, cost and recorded settings."""
    fake.enqueue(Reply.draft(DRAFT))
    settings = Settings(base_url=fake.url, api_key=TEST_KEY, model="fake-vlm")

    async def both() -> list:
        results = []
        for kind in ("llm", "offline"):
            drafter: Drafter = make_drafter(kind, settings)
            try:
                results.append(await drafter.draft(clip, CAPTION, clip_id="c1"))
            finally:
                await drafter.aclose()
        return results

    online, offline = asyncio.run(both())
    assert (online.drafter, online.model, online.clip) == ("llm", "fake-vlm", "c1")
    assert online.prompt is not None and online.prompt.name == "review-v1"
    assert online.usage.prompt_tokens > 0 and online.settings["frames"] == 8
    assert "api_key" not in online.settings and online.cost_usd is None  # no price known
    assert (offline.drafter, offline.model, offline.prompt) == ("offline", None, None)
    assert offline.cost_usd == 0.0 and offline.attempts == 0
    assert offline.settings == {
        "drafter": "offline",
        "rules": "offline-r4",
        "guideline_version": default_guidelines().version,
    }


def test_the_factory_computes_the_cost_once_with_a_discount() -> None:
    from agent.cost import PRICES

    draft = Draft.model_validate({**DRAFT, "rewrite": "x", "observations": ""})
    p = Provenance(drafter="llm", model="gpt-4o-mini", price=PRICES["gpt-4o-mini"])
    usage = Usage(prompt_tokens=1_000_000, completion_tokens=0)
    full = p.result(clip="c", caption="x", draft=draft, usage=usage)
    half = p.result(clip="c", caption="x", draft=draft, usage=usage, discount=0.5)
    assert full.cost_usd == pytest.approx(0.15) and half.cost_usd == pytest.approx(0.075)
    free = Provenance(drafter="offline", price=FREE).result(clip="c", caption="x", draft=draft)
    assert free.cost_usd == 0.0
    extra = p.result(clip="c", caption="x", draft=draft, extra_settings={"batch": "b1"})
    assert extra.settings == {"batch": "b1"}


def loaded_after(code: str) -> list[str]:
    """The heavy libraries a fresh interpreter has loaded after running `code`."""
    report = f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    probe = f"{code}\nimport sys, json\n{report}"
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_short_names_say_who_drafts() -> None:
    model = RunIdentity(drafter="llm", model="gpt-4.1-mini", prompt_name="review-v1",
                        prompt_hash="abc")  # fmt: skip
    assert model.short_name() == "gpt-4.1-mini-review-v1"
    hub = model.model_copy(update={"model": "Qwen/Qwen2.5-VL-7B-Instruct"})
    assert hub.short_name() == "Qwen2.5-VL-7B-Instruct-review-v1"
    offline = RunIdentity(drafter="offline", prompt_name="offline-rules", prompt_hash="offline-r3")
    assert offline.short_name() == "offline-r3"


def test_importing_the_offline_drafter_loads_no_http_or_database_library() -> None:
    assert loaded_after("import agent.drafting._offline") == []
    assert loaded_after("from agent.drafting import OfflineDrafter") == []
    # and drafting with it, chosen as commands choose it, still loads none
    assert (
        loaded_after(
            "import asyncio\n"
            "from agent.drafting import make_drafter\n"
            "from agent.settings import Settings\n"
            "d = make_drafter('offline', Settings())\n"
            "r = asyncio.run(d.draft('v.mp4', 'The robot picks up the puck.'))\n"
            "assert r.drafter == 'offline'"
        )
        == []
    )
    # the check can fail: the model drafter does load them
    assert set(loaded_after("import agent.drafting._model")) >= {"openai", "instructor"}
