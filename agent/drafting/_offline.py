"""The offline drafter: no model, just the caption's claims checked against robot telemetry.

The claim finder (`agent.drafting._claims`, an explicit grammar of verb phrases over a lemma and
synonym table) pulls the caption's claims about the robot (grasp, lift, place or arrive at the
target, push, press, open, close, contact, success or failure, and their order), each with the
caption span it came from, and this module checks each against what the telemetry shows: a
claimed grasp with no gripper closure on a rising object, a claimed lift with no height gain,
a claimed success on a failed episode (the claim itself is flagged as the outcome error), a
claimed contact with an object the arm never comes near, an order the telemetry contradicts,
a step or an outcome the caption never mentions. The guideline linter adds speculation,
widened to the whole clause when the clause is the speculation.

The rewrite is span edits only: each finding replaces its span (with at most the conjunction
next to it), each omission inserts a clause at a sensible place, and every other word stays.
Every rewrite is checked before it is returned: it must not state an outcome and its opposite
(`agent.drafting._claims.contradiction`), and must not add a guideline warning the caption did
not have.
Colours, object identity and directions are left to the reviewer, and the draft says so.
"""

from __future__ import annotations

import math
import os
import re
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from agent.drafting._claims import (
    FREE_OBJECT_TASKS,
    LEXICON,
    SPEC_VERBS,
    Claim,
    Statement,
    contradiction,
    find_claims,
    goal_event,
    inflect,
    opposite_event,
    outcome_stated,
    speculation_spans,
    task_kind,
)
from agent.drafting._protocol import Capabilities, RunIdentity, check_caption
from agent.drafting._result import FREE, Provenance
from agent.guidelines._lint import lint
from agent.schema import Draft, DraftResult, Hallucination, Omission
from agent.settings import Settings
from agent.telemetry import GRIPPER_CLOSED_BELOW, Telemetry

if TYPE_CHECKING:
    from agent.media._frames import Frames

REACH_M = 0.06  # the end effector comes this close to an object it touches (sample: <= 5.2 cm)
MOVED_M = 0.02  # an object that moves less than this was not pushed, pulled or pressed
OBJECTS = {
    "pick-place": "puck",
    "push": "puck",
    "drawer": "drawer",
    "button": "button",
    "window": "window",
    "door": "door",
}
FAILS = ", and the task fails"


@dataclass
class Facts:
    """What the telemetry settles, with times."""

    grasp_t: float | None
    lift_t: float | None
    success: bool | None
    end: float
    has_gripper: bool
    has_object: bool
    release_t: float | None = None  # the gripper opens again after the grasp
    gripper_closes: bool = False
    moved: bool | None = None  # the object moves at all
    reached: bool | None = None  # the end effector comes near the object
    closest_t: float | None = None
    reversed: bool = False  # an articulated object moves and comes back
    kind: str | None = None

    @classmethod
    def of(cls, tel: Telemetry) -> Facts:
        grasp_t, lift_t = tel.grasp_and_lift()
        changes = tel.gripper_changes()
        release_t = next(
            (t for t, k in changes if k == "open" and grasp_t is not None and t > grasp_t), None
        )
        closes = any(k == "close" for _, k in changes) or bool(
            tel.gripper and tel.gripper[0] < GRIPPER_CLOSED_BELOW
        )
        moved = reached = closest_t = None
        rev = False
        if tel.object_pos:
            o0 = tel.object_pos[0]
            dists = [math.dist(o0, p) for p in tel.object_pos]
            moved = max(dists) >= MOVED_M
            rev = max(dists) >= MOVED_M and dists[-1] < 0.6 * max(dists)
            if tel.ee_pos:
                gaps = [math.dist(a, b) for a, b in zip(tel.ee_pos, tel.object_pos, strict=True)]
                i = min(range(len(gaps)), key=gaps.__getitem__)
                reached, closest_t = gaps[i] <= REACH_M, tel.t[i]
        return cls(
            grasp_t,
            lift_t,
            tel.success,
            tel.t[-1] if tel.t else 0.0,
            tel.gripper is not None,
            tel.object_pos is not None,
            release_t,
            closes,
            moved,
            reached,
            closest_t,
            rev,
            task_kind(tel.task),
        )


@dataclass
class Edit:
    start: int
    end: int
    new: str


@dataclass
class Finding:
    start: int
    end: int
    type: str
    explanation: str
    evidence: list[float]
    edit: Edit

    def hallucination(self, caption: str, duration: float | None) -> Hallucination:
        return Hallucination.model_validate(
            {
                "span": caption[self.start : self.end],
                "type": self.type,
                "evidence_times": self.evidence,
                "explanation": self.explanation,
            },
            context={"caption": caption, "duration": duration},
        )


@dataclass
class Plan:
    """Findings, omissions and the edits that make the rewrite."""

    findings: list[Finding] = field(default_factory=list)
    omissions: list[Omission] = field(default_factory=list)
    inserts: list[Edit] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _object(tel: Telemetry) -> str:
    task = tel.task or ""
    return next((v for k, v in OBJECTS.items() if k in task), "object")


def _goal_word(caption: str) -> str:
    m = re.search(r"\b(target|goal)\b", caption, re.IGNORECASE)
    return m.group(1).lower() if m else "target"


def _rest(caption: str, c: Claim) -> str:
    """The claim's words after its verb: 'it at the target', 'the drawer out'."""
    return caption[c.verb_end : c.end].strip()


def _joint_before(caption: str, start: int) -> tuple[int, str]:
    """The conjunction or comma right before `start`: (where it starts, its text)."""
    m = re.search(r"(,?\s+(?:and then|and|but|then)\s+|,\s*)$", caption[:start])
    return (m.start(), m.group(0)) if m else (start, "")


def _joint_after(caption: str, end: int) -> tuple[int, str]:
    m = re.match(r"(,?\s+(?:and then|and|then)\s+|,\s+)", caption[end:])
    return (end + m.end(), m.group(0)) if m else (end, "")


def _delete(caption: str, start: int, end: int) -> Edit:
    """Remove a clause with one conjunction next to it, so the sentence still reads."""
    after, joint_after = _joint_after(caption, end)
    before, joint_before = _joint_before(caption, start)
    sentence_start = not caption[:start].strip() or caption[:start].rstrip().endswith(".")
    if joint_before and not sentence_start:
        return Edit(before, end, "")
    if joint_after:
        return Edit(start, after, "")
    return Edit(start, end, "")


def _negate(caption: str, c: Claim) -> str:
    """'pushes the puck to the goal' -> 'does not push the puck to the goal'."""
    text = caption[c.start : c.end]
    if c.passive:
        return re.sub(r"\b(is|are|gets|get|was|were)\b", r"\1 not", text, count=1)
    rest = _rest(caption, c)
    if c.form == "ing":
        return f"without {caption[c.verb_start : c.verb_end]} {rest}".strip()
    return f"does not {c.lemma} {rest}".strip()


def _affirm(caption: str, c: Claim) -> str:
    """'fails to push it down' -> 'pushes it down'; 'without lifting it' -> 'after lifting it'."""
    rest = _rest(caption, c)
    if c.passive:
        return re.sub(r"\s+(?:not|never)\b", "", caption[c.start : c.end], count=1)
    if caption[c.start : c.verb_start].strip().lower() == "without":
        return f"after {caption[c.verb_start : c.verb_end]} {rest}".strip()
    return f"{inflect(c.lemma, '3sg')} {rest}".strip()


def _swap_state(text: str) -> str:
    pairs = {
        "open": "closed",
        "closed": "open",
        "shut": "open",
        "out": "in",
        "in": "out",
        "pulls": "pushes",
        "pushes": "pulls",
        "opens": "closes",
        "closes": "opens",
    }
    return re.sub(
        r"\b(open|closed|shut|out|in|pulls|pushes|opens|closes)\b",
        lambda m: pairs[m.group(1)],
        text,
    )


class OfflineDrafter:
    """Drafts from telemetry alone. It implements the `Drafter` protocol, so jobs run it like
    the model drafter; it calls no model, so its drafts cost nothing."""

    name = "offline"
    capabilities = Capabilities()
    where = "offline drafter (no model)"
    limiter = None

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings()
        self._provenance = Provenance(
            drafter="offline", price=FREE, settings={"drafter": "offline", "rules": RULES_VERSION}
        )

    def describe(self) -> str:
        return "the offline drafter (telemetry rules and the guideline linter)"

    def identity(self) -> RunIdentity:
        return RunIdentity(
            drafter=self.name, prompt_name="offline-rules", prompt_hash=RULES_VERSION
        )

    async def aclose(self) -> None:
        return None

    async def draft(
        self,
        video: str | os.PathLike[str],
        caption: str,
        *,
        telemetry: Telemetry | None = None,
        clip_id: str | None = None,
        start: float | None = None,
        end: float | None = None,
        frames: Frames | None = None,
    ) -> DraftResult:
        t0 = time.perf_counter()
        draft = self.review(caption, telemetry)
        return self._provenance.result(
            clip=clip_id or str(video),
            caption=check_caption(caption),
            draft=draft,
            latency_s=time.perf_counter() - t0,
            attempts=0,
        )

    def review(self, caption: str, telemetry: Telemetry | None) -> Draft:
        caption = check_caption(caption)
        plan = Plan()
        warnings = lint(caption)
        spec = speculation_spans(caption, warnings)
        for s in spec:
            plan.findings.append(
                Finding(
                    s.start,
                    s.end,
                    "speculation",
                    "the video cannot show intent or manner",
                    [],
                    self._unspeculate(caption, s.start, s.end, s.clause),
                )
            )
        task = telemetry.task if telemetry is not None else None
        if telemetry is None or not telemetry.t:
            plan.notes.append("No telemetry: only the guideline checks ran.")
        else:
            self._check(caption, telemetry, plan, [(s.start, s.end) for s in spec])
        if telemetry is not None and telemetry.note:  # e.g. the dataset has no gripper signal
            plan.notes.append(telemetry.note)
        rewrite = self._apply(caption, plan)
        problems = rewrite_problems(caption, rewrite, task)
        if problems:
            plan.notes.append("The first rewrite " + "; ".join(problems) + ": simplified it.")
            rewrite = self._fallback(caption, rewrite, plan, task)
        plan.notes.append(
            "Colours, object identity and directions are not in the telemetry: "
            "check them against the video."
        )
        duration = telemetry.t[-1] + 1.0 if telemetry and telemetry.t else None
        context = {"caption": caption, "duration": duration}
        halls = [
            f.hallucination(caption, duration) for f in sorted(plan.findings, key=lambda f: f.start)
        ]
        oms = plan.omissions
        verdict = "needs_edit" if halls or oms or rewrite != caption else "accurate"
        notes = " ".join(plan.notes)
        fields = {
            "observations": notes,
            "hallucinations": halls,
            "omissions": oms,
            "rewrite": rewrite,
            "verdict": verdict,
        }
        try:
            return Draft.model_validate(fields, context=context)
        except ValueError:
            # A fix the rules could not make cleanly: keep the findings, leave the words.
            rewrite = rewrite if rewrite != caption else caption + " (check)"
            fields |= {
                "observations": notes
                + " The rewrite could not be corrected automatically; edit it by hand.",
                "hallucinations": [h for h in halls if h.span not in rewrite],
                "rewrite": rewrite,
            }
            return Draft.model_validate(fields, context=context)

    # ------------------------------------------------------------ edits

    @staticmethod
    def _unspeculate(caption: str, start: int, end: int, clause: bool) -> Edit:
        if clause:
            m = re.search(r",\s*$", caption[:start])
            s0 = m.start() if m else start
            after = re.match(r"\s*,", caption[end:])
            if m and after:  # ", intending to test it," in mid-sentence
                return Edit(s0, end + after.end(), " ")
            return Edit(s0, end, "")
        verb = SPEC_VERBS.match(caption, start)
        if verb:
            lemma = LEXICON.get(verb.group(1).lower(), (verb.group(1).lower(), ""))[0]
            return Edit(start, verb.end(), inflect(lemma, "3sg"))
        m = re.match(r"\s+", caption[end:])
        return Edit(start, end + (m.end() if m else 0), "")

    @staticmethod
    def _apply(caption: str, plan: Plan) -> str:
        edits = sorted(
            [f.edit for f in plan.findings] + plan.inserts, key=lambda e: (e.start, e.end)
        )
        kept: list[Edit] = []
        for e in edits:
            if kept and e.start < kept[-1].end:
                continue  # overlapping edits: the first one wins
            kept.append(e)
        out = caption
        for e in reversed(kept):
            out = out[: e.start] + e.new + out[e.end :]
        return tidy(out)

    def _fallback(self, caption: str, first: str, plan: Plan, task: str | None) -> str:
        """Drop remaining success claims from a rewrite that contradicts itself; if that is not
        enough, keep only the deletions."""
        claims, _ = find_claims(first, task)
        goal = goal_event(task_kind(task))
        out = first
        for c in sorted(claims, key=lambda c: -c.start):
            if c.event in goal and not c.negated:
                e = _delete(out, c.start, c.end)
                out = out[: e.start] + e.new + out[e.end :]
        out = tidy(out)
        if not rewrite_problems(caption, out, task) and out.strip(" ."):
            return out
        plan.inserts = []
        for f in plan.findings:
            f.edit = _delete(caption, f.start, f.end)
        return self._apply(caption, plan)

    # ------------------------------------------------------------ checks

    def _check(self, caption: str, tel: Telemetry, plan: Plan, skip: list[tuple[int, int]]) -> None:
        f = Facts.of(tel)
        claims, statements = find_claims(caption, tel.task, skip=skip)
        end = [round(f.end, 2)]
        goal = goal_event(f.kind)
        free = f.kind in FREE_OBJECT_TASKS or (f.kind is None and f.has_object)
        done: set[int] = set()  # claims already covered by a finding
        fail_said = any(s.kind == "fail" for s in statements) or any(
            c.negated and (c.event in goal or (c.event == "push" and f.kind == "push"))
            for c in claims
        )

        def add(c0: Claim, c1: Claim, kind: str, why: str, ev: list[float], edit: Edit) -> None:
            plan.findings.append(Finding(c0.start, c1.end, kind, why, ev, edit))
            done.update(i for i, c in enumerate(claims) if c0.start <= c.start and c.end <= c1.end)

        # order: a lift said before the grasp the telemetry puts first
        grasps = [c for c in claims if c.event == "grasp" and not c.negated]
        lifts = [c for c in claims if c.event == "lift" and not c.negated]
        if grasps and lifts and f.grasp_t is not None and f.lift_t is not None:
            g, lift = grasps[0], lifts[0]
            between = caption[lift.end : g.start].lower()
            if lift.start < g.start and "after" not in between.split():
                new = (
                    caption[lift.start : lift.verb_start]
                    + inflect(g.lemma, lift.form)
                    + caption[g.verb_start + len(caption[g.verb_start :].split()[0]) : g.verb_end]
                    + caption[lift.verb_end : g.verb_start]
                    + inflect(lift.lemma, g.form)
                    + caption[g.verb_end : g.end]
                )
                add(
                    lift,
                    g,
                    "order",
                    f"the grasp comes first (t={f.grasp_t:.1f}s), the lift after "
                    f"(t={f.lift_t:.1f}s)",
                    [round(f.grasp_t, 2)],
                    Edit(lift.start, g.end, new),
                )

        antecedent: dict[int, str] = {}
        for i, c in enumerate(claims):
            if i in done:
                continue
            # grasp
            if c.event == "grasp" and f.has_gripper and f.has_object:
                held = f.grasp_t is not None if free else f.gripper_closes
                if not c.negated and not held:
                    edit = self._drop_grasp(caption, claims, i, antecedent)
                    add(
                        c,
                        c,
                        "gripper_or_grasp",
                        "the gripper never closes on the object"
                        + (" while it rises" if free else ""),
                        end,
                        edit,
                    )
                elif not c.negated and c.lifts_too and free and f.lift_t is None:
                    add(
                        c,
                        c,
                        "action",
                        "the object never rises",
                        end,
                        Edit(c.start, c.end, f"grasps {c.obj or 'it'} but does not lift it"),
                    )
                elif c.negated and free and f.grasp_t is not None:
                    b, joint = _joint_before(caption, c.start)
                    new = _affirm(caption, c)
                    edit = (
                        Edit(b, c.end, ", " + new) if "but" in joint else Edit(c.start, c.end, new)
                    )
                    add(
                        c,
                        c,
                        "gripper_or_grasp",
                        f"the gripper closes on the object at t={f.grasp_t:.1f}s and it rises",
                        [round(f.grasp_t, 2)],
                        edit,
                    )
            # lift
            elif c.event == "lift" and f.has_object:
                if not c.negated and f.lift_t is None:
                    b, joint = _joint_before(caption, c.start)
                    new = _negate(caption, c)
                    edit = (
                        Edit(b, c.end, " but " + new)
                        if joint.strip() == "and"
                        else Edit(c.start, c.end, new)
                    )
                    add(c, c, "action", "the object never rises", end, edit)
                elif c.negated and f.lift_t is not None:
                    b, joint = _joint_before(caption, c.start)
                    new = _affirm(caption, c)
                    edit = (
                        Edit(b, c.end, " and " + new)
                        if joint.strip() == "but"
                        else Edit(c.start, c.end, new)
                    )
                    add(
                        c,
                        c,
                        "action",
                        f"the object rises from t={f.lift_t:.1f}s",
                        [round(f.lift_t, 2)],
                        edit,
                    )
            # the opposite of the task: closing a drawer the episode opens
            elif c.event == opposite_event(f.kind) and not c.negated and not f.reversed:
                only = all(
                    j == i or claims[j].event not in goal | {"contact"} for j in range(len(claims))
                )
                edit = (
                    Edit(c.start, c.end, _swap_state(caption[c.start : c.end]))
                    if only
                    else _delete(caption, c.start, c.end)
                )
                add(c, c, "action", "the object moves only toward the task's goal", end, edit)
            # a push of an object that never moves
            elif c.event == "push" and not c.negated and f.moved is False:
                add(
                    c,
                    c,
                    "action",
                    "the object never moves",
                    end,
                    Edit(c.start, c.end, _negate(caption, c)),
                )

        # outcome: the claims that say the task succeeded, on a failed episode
        if f.success is False:
            for i, c in enumerate(claims):
                if i in done or c.event not in goal or c.negated:
                    continue
                first = i
                while (
                    first > 0
                    and (first - 1) not in done
                    and (
                        (claims[first - 1].event == "contact" and f.reached is not True)
                        or claims[first - 1].event in goal
                    )
                    and re.fullmatch(
                        r",?\s*(?:and then|and|then)?\s*|,\s*",
                        caption[claims[first - 1].end : claims[first].start],
                    )
                ):
                    first -= 1
                last = i
                while (
                    last + 1 < len(claims)
                    and (last + 1) not in done
                    and claims[last + 1].event in goal
                    and re.fullmatch(
                        r",?\s*(?:and then|and|then)?\s*",
                        caption[claims[last].end : claims[last + 1].start],
                    )
                ):
                    last += 1
                c0, c1 = claims[first], claims[last]
                edit = self._fail_edit(caption, c0, c1, f, fail_said, antecedent.get(first))
                add(c0, c1, "outcome", "the episode fails (telemetry success flag)", end, edit)
                fail_said = True
            for i, c in enumerate(claims):
                if i in done or c.event != "contact" or c.negated or f.reached is not False:
                    continue
                np_ = c.obj or "it"
                new = (
                    "moving toward " if c.form == "ing" or c.participle else "moves toward "
                ) + np_
                if c.start == 0 or caption[: c.start].rstrip().endswith("."):
                    new = new[0].upper() + new[1:]
                add(
                    c,
                    c,
                    "action",
                    "the arm never comes near the object",
                    [round(f.closest_t or 0, 2)],
                    Edit(c.start, c.end, new),
                )
            if not fail_said:
                plan.omissions.append(
                    Omission(description="the task fails", type="outcome", evidence_times=end)
                )
                plan.inserts.append(self._insert_at_end(caption, FAILS))
        elif f.success is True:
            for i, c in enumerate(claims):
                if (
                    i in done
                    or not c.negated
                    or c.event not in goal | ({"push"} if f.kind == "push" else set())
                ):
                    continue
                b, joint = _joint_before(caption, c.start)
                new = _affirm(caption, c)
                edit = (
                    Edit(b, c.end, " and " + new)
                    if joint.strip() in ("but", "")
                    and caption[c.start : c.verb_start].strip().lower() == "without"
                    else Edit(b, c.end, " and " + new)
                    if joint.strip() == "but"
                    else Edit(c.start, c.end, new)
                )
                add(c, c, "outcome", "the episode succeeds (telemetry success flag)", end, edit)
            for s in statements:
                if s.kind != "fail" or any(x.start <= s.start < x.end for x in plan.findings):
                    continue
                plan.findings.append(
                    Finding(
                        s.start,
                        s.end,
                        "outcome",
                        "the episode succeeds (telemetry success flag)",
                        end,
                        _delete(caption, s.start, s.end),
                    )
                )
        # a lift the caption leaves out
        if (
            f.lift_t is not None
            and free
            and f.has_gripper
            and not any(c.event == "lift" or c.lifts_too for c in claims)
        ):
            plan.omissions.append(
                Omission(
                    description=f"lifts the {_object(tel)}",
                    type="step",
                    evidence_times=[round(f.lift_t, 2)],
                )
            )
            g = next((c for c in claims if c.event == "grasp" and not c.negated), None)
            if g is not None and not any(x.start <= g.start < x.end for x in plan.findings):
                plan.inserts.append(Edit(g.end, g.end, ", lifts it"))
        if f.success is not None:
            plan.notes.append(
                f"Telemetry: the task {'succeeds' if f.success else 'fails'}"
                + (f"; grasp at {f.grasp_t:.1f}s" if f.grasp_t is not None else "")
                + (f"; lift at {f.lift_t:.1f}s" if f.lift_t is not None else "")
                + (f"; the gripper opens at {f.release_t:.1f}s" if f.release_t is not None else "")
                + ("; the arm never comes near the object" if f.reached is False else "")
                + "."
            )

    @staticmethod
    def _insert_at_end(caption: str, text: str) -> Edit:
        m = re.search(r"\s*[.!]?\s*$", caption)
        pos = m.start() if m else len(caption)
        return Edit(pos, pos, text)

    @staticmethod
    def _drop_grasp(caption: str, claims: list[Claim], i: int, antecedent: dict[int, str]) -> Edit:
        """Remove a grasp that did not happen; the next clause's 'it' gets the grasp's noun."""
        c = claims[i]
        after, joint = _joint_after(caption, c.end)
        nxt = claims[i + 1] if i + 1 < len(claims) else None
        if joint and nxt is not None and nxt.start == after:
            if c.obj and c.obj.lower() != "it":
                antecedent[i + 1] = c.obj
                if nxt.obj == "it":
                    m = re.compile(r"\bit\b").search(caption, nxt.verb_end, nxt.end)
                    if m:
                        return Edit(c.start, m.end(), caption[after : m.start()] + c.obj)
            return Edit(c.start, after, "")
        if nxt is None and not _joint_before(caption, c.start)[1]:
            return Edit(c.start, c.end, f"moves toward {c.obj or 'it'}")
        return _delete(caption, c.start, c.end)

    @staticmethod
    def _fail_edit(
        caption: str, c0: Claim, c1: Claim, f: Facts, fail_said: bool, antecedent: str | None
    ) -> Edit:
        """The claimed success replaced by what happened, with the failure said once."""
        tail = "" if fail_said else FAILS
        goal = _goal_word(caption)
        b, joint = _joint_before(caption, c0.start)
        start = b if joint.strip() == "and" and joint.strip() else c0.start
        lead = " but " if start == b else ""
        if f.kind == "pick_place" and f.grasp_t is not None:
            verb = "drops it before" if f.release_t is not None else "does not place it at"
            if c1.form == "ing":
                verb = verb.replace("drops", "dropping").replace(
                    "does not place", "without placing"
                )
            return Edit(start, c1.end, f"{lead}{verb} the {goal}{tail}")
        if c1.passive:
            return Edit(c0.start, c1.end, _negate(caption, c1) + tail)
        obj = c0.obj if c0 is not c1 or f.reached is False else None
        obj = obj if obj and obj.lower() != "it" else (antecedent or obj)
        rest = _rest(caption, c1)
        if c1.event == "arrive":
            rest = re.sub(r"\s+(?:across|along|over|all the way)\b.*", "", rest)
            rest = re.sub(r"\s+(?:to|onto|on|at|into|in)\s+the\s+.*", "", rest)
            rest = re.sub(r"\s+until\b.*", "", rest)
            if c1.lemma in ("carry", "bring", "move", "take", "transport"):
                rest = f"{rest} to the {goal}".strip()
        else:
            rest = re.sub(r"\s+(?:until|beside|next to|near|behind)\b.*", "", rest)
        if c1.form == "ing":
            negated = f"without {inflect(c1.lemma, 'ing')} {rest}".strip()
        else:
            negated = f"does not {c1.lemma} {rest}".strip()
        if obj and (c0 is not c1 or f.reached is False):
            if c1.obj and obj.lower() == c1.obj.lower():
                negated = negated.replace(obj, "it", 1)
            new = f"moves toward {obj} but {negated}"
            if c0.form == "ing":
                new = f"moving toward {obj} but {negated}"
        else:
            new = negated
            if start == b:
                new = f"{lead}{negated}"
                return Edit(start, c1.end, new + tail)
        return Edit(c0.start, c1.end, new + tail)


def tidy(text: str) -> str:
    out = re.sub(r"\s{2,}", " ", text)
    out = re.sub(r"\s+([,.])", r"\1", out)
    out = re.sub(r",\s*,", ",", out)
    out = re.sub(r",\s*\.", ".", out)
    out = re.sub(r"\b(but|and)\s+(but|and)\b", r"\1", out)
    out = out.strip()
    out = re.sub(r"(^|[.!?]\s+)([a-z])", lambda m: m.group(1) + m.group(2).upper(), out)
    return out


def rewrite_problems(caption: str, rewrite: str, task: str | None) -> list[str]:
    """What is wrong with a rewrite: an outcome and its opposite, or a guideline warning the
    caption did not have (speculation is never kept)."""
    problems = []
    if contradiction(rewrite, task):
        problems.append("states an outcome and its opposite")
    had = {(w.kind, w.text.lower()) for w in lint(caption) if w.kind != "speculation"}
    new = [w for w in lint(rewrite) if (w.kind, w.text.lower()) not in had]
    if new:
        problems.append(
            "fails the guideline linter (" + ", ".join(f"{w.kind}: {w.text!r}" for w in new) + ")"
        )
    return problems


__all__ = ["OfflineDrafter", "Statement", "outcome_stated", "rewrite_problems"]

# Distinct in its first 12 characters (run names use hash[:12]) from "offline-rules-1", so a
# store with runs of the old rules starts a new run instead of refusing a version mismatch.
RULES_VERSION = "offline-r2"
