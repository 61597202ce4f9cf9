"""Captions with known mistakes: a gold caption from what the episode did, then an "AI caption"
with injected errors of each taxonomy type and the gold spans and types that mark them.

Deterministic from a seed. Works without rendering: it needs only the task, the failure mode
and the telemetry, so it is tested on hand-made telemetry.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent.telemetry import Telemetry
from evals.datasets.tasks import TASKS


@dataclass
class Story:
    kind: str
    object: str
    colour: str | None
    success: bool
    grasped: bool
    lifted: bool
    moved: bool

    @property
    def thing(self) -> str:
        return f"{self.colour} {self.object}" if self.colour else self.object


def story(kind: str, obj: str, colour: str | None, telemetry: dict[str, Any]) -> Story:
    tel = Telemetry.model_validate(telemetry)
    grasp_t, lift_t = tel.grasp_and_lift()
    grasped, lifted = grasp_t is not None, lift_t is not None
    moved = False
    if tel.object_pos:
        a, b = tel.object_pos[0], tel.object_pos[-1]
        moved = sum((x - y) ** 2 for x, y in zip(a, b, strict=True)) ** 0.5 >= 0.03
    return Story(kind, obj, colour, bool(tel.success), grasped, lifted, moved)


def gold_caption(s: Story) -> str:
    """What happened, following the guidelines: present tense, steps in order, the outcome."""
    x = s.thing
    if s.kind == "pick_place":
        if s.success:
            return (
                f"The robot arm reaches for the {x}, grasps it, lifts it and places it at "
                "the target."
            )
        if s.lifted:
            return (
                f"The robot arm grasps the {x} and lifts it, but the {s.object} drops before "
                "the target and the task fails."
            )
        if s.grasped:
            return f"The robot arm grasps the {x} but does not lift it, and the task fails."
        return f"The robot arm moves toward the {x} but does not grasp it, and the task fails."
    if s.kind == "push":
        if s.success:
            return f"The robot arm pushes the {x} across the table to the target."
        if s.moved:
            return (
                f"The robot arm pushes the {x} but stops short of the target, and the task fails."
            )
        return f"The robot arm moves toward the {x} but does not push it, and the task fails."
    verbs = {
        "drawer_open": (
            "hooks the drawer handle and pulls the drawer out until it is open",
            "reaches for the drawer handle but does not pull the drawer out",
        ),
        "drawer_close": (
            "pushes the open drawer in until it is closed",
            "moves toward the open drawer but does not push it in",
        ),
        "press": (
            f"moves above the {x} and presses it down",
            f"moves toward the {x} but does not press it down",
        ),
        "window_open": (
            "pushes the window handle sideways and slides the window open",
            "moves toward the window handle but does not slide the window open",
        ),
        "window_close": (
            "pushes the window handle sideways and slides the window closed",
            "moves toward the window handle but does not slide the window closed",
        ),
    }
    ok, fail = verbs[s.kind]
    return f"The robot arm {ok}." if s.success else f"The robot arm {fail}, and the task fails."


@dataclass
class Injected:
    caption: str
    hallucinations: list[dict[str, Any]] = field(default_factory=list)
    omissions: list[dict[str, Any]] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)


Injector = Callable[[Injected, Story, random.Random], Injected | None]


def _span(text: str, kind: str, why: str) -> dict[str, Any]:
    return {"span": text, "type": kind, "explanation": why}


def _replace(
    inj: Injected, old: str, new: str, span: str, kind: str, why: str, label: str
) -> Injected | None:
    if old not in inj.caption:
        return None
    cap = inj.caption.replace(old, new, 1)
    return Injected(
        cap, [*inj.hallucinations, _span(span, kind, why)], list(inj.omissions), [*inj.kinds, label]
    )


def claimed_success(inj: Injected, s: Story, rng: random.Random) -> Injected | None:
    """A failure captioned as a success, with the grasp and lift it never made."""
    if s.success:
        return None
    ok = gold_caption(Story(s.kind, s.object, s.colour, True, True, True, True))
    spans = []
    if s.kind == "pick_place":
        if not s.grasped:
            spans.append(_span("grasps it", "gripper_or_grasp", "the gripper never holds it"))
        if not s.lifted:
            spans.append(_span("lifts it", "action", "the object never rises"))
        spans.append(_span("places it at the target", "outcome", "it never reaches the target"))
    else:
        main = ok.removeprefix("The robot arm ").rstrip(".")
        spans.append(_span(main, "outcome", "the task fails"))
    return Injected(ok, spans, [], ["outcome"])


def colour(inj: Injected, s: Story, rng: random.Random) -> Injected | None:
    if not s.colour:
        return None
    new = rng.choice([c for c in ("blue", "green", "yellow") if c != s.colour])
    return _replace(
        inj,
        f"{s.colour} {s.object}",
        f"{new} {s.object}",
        new,
        "attribute",
        f"it is {s.colour}",
        "attribute",
    )


def wrong_object(inj: Injected, s: Story, rng: random.Random) -> Injected | None:
    swap = {"puck": "cube", "button": "lever", "drawer": "cabinet door", "window": "sliding door"}
    new = swap[s.object]
    return _replace(inj, s.object, new, new, "object", f"it is a {s.object}", "object")


def claimed_grasp(inj: Injected, s: Story, rng: random.Random) -> Injected | None:
    if s.kind not in ("push", "press") or "The robot arm " not in inj.caption:
        return None
    phrase = f"grasps the {s.thing} and"
    cap = inj.caption.replace("The robot arm ", f"The robot arm {phrase} ", 1)
    return Injected(
        cap,
        [*inj.hallucinations, _span(phrase, "gripper_or_grasp", "the gripper never closes on it")],
        list(inj.omissions),
        [*inj.kinds, "gripper_or_grasp"],
    )


def speculation(inj: Injected, s: Story, rng: random.Random) -> Injected | None:
    word = rng.choice(["carefully", "deliberately"])
    cap = inj.caption.replace("The robot arm ", f"The robot arm {word} ", 1)
    if cap == inj.caption:
        return None
    return Injected(
        cap,
        [*inj.hallucinations, _span(word, "speculation", "manner the video cannot show")],
        list(inj.omissions),
        [*inj.kinds, "speculation"],
    )


def direction(inj: Injected, s: Story, rng: random.Random) -> Injected | None:
    for old, new in (
        (" out until", " in until"),
        (" in until", " out until"),
        ("presses it down", "presses it up"),
        ("sideways", "upward"),
    ):
        if old in inj.caption:
            word = new.strip().split()[-2] if "until" in new else new.split()[-1]
            return _replace(
                inj,
                old,
                new,
                word,
                "direction_or_spatial",
                f"it moves {old.strip().split()[0] if 'until' in old else 'otherwise'}",
                "direction_or_spatial",
            )
    return None


def count(inj: Injected, s: Story, rng: random.Random) -> Injected | None:
    if s.kind != "press" or not s.success:
        return None
    return _replace(
        inj,
        "presses it down",
        "presses it down twice",
        "twice",
        "count",
        "it presses once",
        "count",
    )


def order(inj: Injected, s: Story, rng: random.Random) -> Injected | None:
    if "grasps it, lifts it" not in inj.caption:
        return None
    return _replace(
        inj,
        "grasps it, lifts it",
        "lifts it, grasps it",
        "lifts it, grasps it",
        "order",
        "it grasps before it lifts",
        "order",
    )


def invented(inj: Injected, s: Story, rng: random.Random) -> Injected | None:
    if not inj.caption.endswith("."):
        return None
    extra = rng.choice(["next to the green bowl", "beside a stack of plates"])
    cap = inj.caption[:-1] + f" {extra}."
    return Injected(
        cap,
        [*inj.hallucinations, _span(extra, "object", "there is no such object")],
        list(inj.omissions),
        [*inj.kinds, "object"],
    )


def dropped_step(inj: Injected, s: Story, rng: random.Random) -> Injected | None:
    if "lifts it and " not in inj.caption:
        return None
    cap = inj.caption.replace("lifts it and ", "and ", 1).replace(", and", " and", 1)
    return Injected(
        cap,
        list(inj.hallucinations),
        [*inj.omissions, {"description": f"lifts the {s.object}", "type": "step"}],
        [*inj.kinds, "omission:step"],
    )


def dropped_outcome(inj: Injected, s: Story, rng: random.Random) -> Injected | None:
    if ", and the task fails." not in inj.caption:
        return None
    cap = inj.caption.replace(", and the task fails.", ".")
    return Injected(
        cap,
        list(inj.hallucinations),
        [*inj.omissions, {"description": "the task fails", "type": "outcome"}],
        [*inj.kinds, "omission:outcome"],
    )


INJECTORS: list[Injector] = [
    claimed_success,
    colour,
    wrong_object,
    claimed_grasp,
    speculation,
    direction,
    count,
    order,
    invented,
    dropped_step,
    dropped_outcome,
]


def inject(gold: str, s: Story, rng: random.Random, n: int = 2) -> Injected:
    """Apply up to `n` applicable injectors; keep only those whose spans survive intact."""
    inj = Injected(gold)
    order = rng.sample(INJECTORS, len(INJECTORS))
    if not s.success and rng.random() < 0.8:  # the costliest error: a failure called success
        order.remove(claimed_success)
        order.insert(0, claimed_success)
    for fn in order:
        if len(inj.kinds) >= n:
            break
        out = fn(inj, s, rng)
        if out is None:
            continue
        if all(h["span"] in out.caption for h in out.hallucinations) and out.caption != gold:
            inj = out
    return inj


def write_manifest(
    specs: list[Any], telemetry: dict[str, dict[str, Any]], out_dir: Path, seed: int = 0
) -> int:
    """manifest.jsonl for the rendered clips: AI caption, telemetry, gold caption and labels."""

    rng = random.Random(seed)
    rows = []
    for spec in specs:
        task = TASKS[spec.task]
        s = story(task.kind, task.object, task.colour, telemetry[spec.clip_id])
        gold = gold_caption(s)
        inj = inject(gold, s, rng, n=rng.choice([1, 2]))
        rows.append(
            {
                "id": spec.clip_id,
                "video": f"{spec.clip_id}.mp4",
                "caption": inj.caption,
                "telemetry": f"{spec.clip_id}.telemetry.json",
                "gold_caption": gold,
                "gold_hallucinations": inj.hallucinations,
                "gold_omissions": inj.omissions,
                "meta": {
                    "task": spec.task,
                    "mode": spec.mode,
                    "success": s.success,
                    "injected": inj.kinds,
                },
            }
        )
    (out_dir / "manifest.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return len(rows)
