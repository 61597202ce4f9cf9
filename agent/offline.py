"""The offline drafter: no model, just the caption's claims checked against robot telemetry.

An explicit rule set pulls the caption's claims about the robot (grasp, lift, place, release,
push, open, close, press, success or failure, and their order) and checks each against what
the telemetry shows: a claimed grasp with no gripper closure on a rising object, a claimed
lift with no height gain, a claimed success on a failed episode, an order the telemetry
contradicts, a step or an outcome the caption never mentions. The guideline linter adds
speculation. Findings carry evidence times. The rewrite fixes what telemetry settles and
leaves the rest (colours, object identity, directions) to the reviewer, and says so.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any

from agent.drafter import check_caption
from agent.lint import lint
from agent.runs import RunIdentity
from agent.schema import Draft, DraftResult
from agent.settings import Settings
from agent.telemetry import Telemetry

NEGATION = re.compile(
    r"\b(not|never|without|fails to|no longer|n't)\b(\W+\w+){0,3}\W*$", re.IGNORECASE
)
CLAIMS: dict[str, re.Pattern[str]] = {
    "grasp": re.compile(
        r"\b(grasp(?:s|ed|ing)?|grip(?:s|ped)?|grab(?:s|bed)?|picks? up|"
        r"pick(?:s|ed)?)\b",
        re.IGNORECASE,
    ),
    "lift": re.compile(r"\b(lift(?:s|ed)?|raise(?:s|d)?)\b", re.IGNORECASE),
}
SUCCESS = re.compile(
    r"\b(places it at the target|to the target|successfully|succeeds|"
    r"until it is (?:open|closed)|slides the window (?:open|closed)|"
    r"presses it down|completes the task)\b",
    re.IGNORECASE,
)
FAILURE = re.compile(
    r"\b(fails?|failed|does not|doesn't|never|misses|falls|drops before|"
    r"stops short|unsuccessful)\b",
    re.IGNORECASE,
)
CLAUSE_END = re.compile(r",|\s+and\s+|\s+but\s+|\s+then\s+|\.\s*$|$")
LEADING_MANNER = re.compile(r"^(?:carefully|deliberately|gently|slowly|quickly)\s+", re.IGNORECASE)
OBJECTS = {
    "pick-place": "puck",
    "push": "puck",
    "drawer": "drawer",
    "button": "button",
    "window": "window",
    "door": "door",
}


@dataclass
class Facts:
    """What the telemetry settles, with times."""

    grasp_t: float | None
    lift_t: float | None
    success: bool | None
    end: float
    has_gripper: bool
    has_object: bool

    @classmethod
    def of(cls, tel: Telemetry) -> Facts:
        grasp_t, lift_t = tel.grasp_and_lift()
        return cls(
            grasp_t,
            lift_t,
            tel.success,
            tel.t[-1] if tel.t else 0.0,
            tel.gripper is not None,
            tel.object_pos is not None,
        )


def _negated(caption: str, start: int) -> bool:
    return bool(NEGATION.search(caption[max(0, start - 40) : start]))


def _clause(caption: str, start: int) -> str:
    """From a claim's verb to the end of its clause: 'grasps it', 'grasps the red puck'."""
    m = CLAUSE_END.search(caption, start + 1)
    end = m.start() if m else len(caption)
    return caption[start:end].strip()


def _object(tel: Telemetry) -> str:
    task = tel.task or ""
    return next((v for k, v in OBJECTS.items() if k in task), "object")


class OfflineDrafter:
    """Drafts from telemetry alone. Same interface as the LLM Drafter, so jobs run it alike."""

    name = "offline"

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings()

    def identity(self) -> RunIdentity:
        return RunIdentity(
            drafter=self.name, prompt_name="offline-rules", prompt_hash=RULES_VERSION
        )

    async def aclose(self) -> None:
        return None

    async def draft(
        self,
        video: str,
        caption: str,
        *,
        telemetry: Telemetry | None = None,
        clip_id: str | None = None,
        start: float | None = None,
        end: float | None = None,
        frames: Any = None,
    ) -> DraftResult:
        t0 = time.perf_counter()
        draft = self.review(caption, telemetry)
        return DraftResult(
            clip=clip_id or str(video),
            caption=check_caption(caption),
            draft=draft,
            drafter="offline",
            model=None,
            latency_s=time.perf_counter() - t0,
            attempts=0,
            cost_usd=0.0,
            settings={"drafter": "offline", "rules": RULES_VERSION},
        )

    def review(self, caption: str, telemetry: Telemetry | None) -> Draft:
        caption = check_caption(caption)
        halls: list[dict[str, Any]] = []
        oms: list[dict[str, Any]] = []
        notes: list[str] = []
        fixes: list[tuple[str, str]] = []
        for w in lint(caption):
            if w.kind == "speculation":
                halls.append(
                    {
                        "span": w.text,
                        "type": "speculation",
                        "evidence_times": [],
                        "explanation": "the video cannot show intent or manner",
                    }
                )
                fixes.append((w.text + " ", ""))
        if telemetry is None or not telemetry.t:
            notes.append("No telemetry: only the guideline checks ran.")
        else:
            self._check(caption, telemetry, halls, oms, notes, fixes)
        rewrite = caption
        for old, new in fixes:
            rewrite = rewrite.replace(old, new, 1)
        for o in oms:
            if o["type"] == "outcome":
                rewrite = rewrite.rstrip(". ") + ". The task fails."
        rewrite = re.sub(r"\s{2,}", " ", rewrite).replace(" ,", ",").strip()
        notes.append(
            "Colours, object identity and directions are not in the telemetry: "
            "check them against the video."
        )
        verdict = "needs_edit" if halls or oms or rewrite != caption else "accurate"
        data = {
            "observations": " ".join(notes),
            "hallucinations": halls,
            "omissions": oms,
            "rewrite": rewrite,
            "verdict": verdict,
        }
        duration = telemetry.t[-1] + 1.0 if telemetry and telemetry.t else None
        try:
            return Draft.model_validate(data, context={"caption": caption, "duration": duration})
        except ValueError:
            # A fix the rules could not make cleanly: keep the findings, leave the words.
            data["observations"] += (
                " The rewrite could not be corrected automatically; edit it by hand."
            )
            data["rewrite"] = rewrite if rewrite != caption else caption + " (check)"
            data["hallucinations"] = [h for h in halls if h["span"] not in data["rewrite"]]
            return Draft.model_validate(data, context={"caption": caption, "duration": duration})

    def _check(
        self,
        caption: str,
        tel: Telemetry,
        halls: list[dict[str, Any]],
        oms: list[dict[str, Any]],
        notes: list[str],
        fixes: list[tuple[str, str]],
    ) -> None:
        f = Facts.of(tel)
        claims: dict[str, list[re.Match[str]]] = {
            k: [m for m in p.finditer(caption) if not _negated(caption, m.start())]
            for k, p in CLAIMS.items()
        }
        end = [round(f.end, 2)]
        if f.has_gripper and f.has_object:
            for m in claims["grasp"]:
                if f.grasp_t is None:
                    span = _clause(caption, m.start())
                    halls.append(
                        {
                            "span": span,
                            "type": "gripper_or_grasp",
                            "evidence_times": end,
                            "explanation": "the gripper never closes on the object while it rises",
                        }
                    )
                    fixes.append(
                        (span + " and ", "")
                        if span + " and " in caption
                        else (span, "reaches toward it")
                    )
            for m in claims["lift"]:
                if f.lift_t is None:
                    span = _clause(caption, m.start())
                    halls.append(
                        {
                            "span": span,
                            "type": "action",
                            "evidence_times": end,
                            "explanation": "the object never rises",
                        }
                    )
                    fixes.append((span, "does not lift it"))
            if claims["grasp"] and claims["lift"] and f.grasp_t is not None:
                g, lft = claims["grasp"][0], claims["lift"][0]
                if lft.start() < g.start():
                    span = caption[lft.start() : g.start() + len(_clause(caption, g.start()))]
                    halls.append(
                        {
                            "span": span,
                            "type": "order",
                            "evidence_times": [round(f.grasp_t, 2)],
                            "explanation": f"the grasp comes first (t={f.grasp_t:.1f}s)",
                        }
                    )
                    parts = [p.strip() for p in span.split(",")]
                    if len(parts) == 2:
                        fixes.append((span, f"{parts[1]}, {parts[0]}"))
            if f.lift_t is not None and not claims["lift"]:
                oms.append(
                    {
                        "description": f"lifts the {_object(tel)}",
                        "type": "step",
                        "evidence_times": [round(f.lift_t, 2)],
                    }
                )
        claims_success = SUCCESS.search(caption)
        claims_failure = FAILURE.search(caption)
        if f.success is False:
            if claims_success and not claims_failure:
                m = claims_success
                if m.group(0).lower() == "places it at the target":
                    span = m.group(0)
                else:
                    span = caption.removeprefix("The robot arm ").rstrip(".").strip()
                    span = span if span in caption else _clause(caption, m.start())
                    # a leading manner word is its own (speculation) finding, not the claim
                    span = LEADING_MANNER.sub("", span)
                halls.append(
                    {
                        "span": span,
                        "type": "outcome",
                        "evidence_times": end,
                        "explanation": "the episode fails (telemetry success flag)",
                    }
                )
                fixes.append((span, "does not complete the task"))
            elif not claims_failure:
                oms.append(
                    {"description": "the task fails", "type": "outcome", "evidence_times": end}
                )
        elif f.success is True and claims_failure and not claims_success:
            m = claims_failure
            halls.append(
                {
                    "span": _clause(caption, m.start()),
                    "type": "outcome",
                    "evidence_times": end,
                    "explanation": "the episode succeeds (telemetry success flag)",
                }
            )
        if f.success is not None:
            notes.append(
                f"Telemetry: the task {'succeeds' if f.success else 'fails'}"
                + (f"; grasp at {f.grasp_t:.1f}s" if f.grasp_t is not None else "")
                + (f"; lift at {f.lift_t:.1f}s" if f.lift_t is not None else "")
                + "."
            )


RULES_VERSION = "offline-rules-1"
