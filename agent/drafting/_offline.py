"""The offline drafter: no model, just the caption's claims checked against robot telemetry.

The claim finder (`agent.drafting._claims`, an explicit grammar of verb phrases over a lemma and
synonym table) pulls the caption's claims about the robot (grasp, lift, place or arrive at the
target, push, press, open, close, contact, release, the gripper opening or closing, success or
failure, and their order), each with the caption span it came from, and this module checks each
against what the telemetry shows, for the kind of task: a claimed grasp where the gripper never
closes on the object (on a drawer, window or button the gripper is closed, or open, long before
it touches anything), a claimed lift with no height gain, a release the gripper never makes, a
claimed success on a failed episode (the claim itself is flagged as the outcome error), a stated
failure on a successful one, a claimed contact with an object the arm never comes near, an
order the telemetry contradicts, a step or an outcome the caption never mentions. The guideline
linter adds speculation, widened to the whole hedge chain ("seems to be trying to") or to the
whole clause when the clause is the speculation.

The rewrite is span edits only: each finding replaces its span (with at most the conjunction
next to it), each omission inserts a clause at a sensible place, and every other word stays
(an opening such as "In this video," is the linter's to point out, not a finding). Every edit
is checked before it is kept (`agent.drafting._rewrite_check.rewrite_problems`: no word that
is not English, no outcome with its opposite, no step denied beside its assertion, no fragment
or broken phrase, no new warning of the guideline in force); an edit that fails is not made,
the caption's own text stays for that part, and the finding says why and that the wording is
the reviewer's (`Draft.left_to_reviewer`). The rewrite then follows the guideline in force
where a rule has one right fix (`OfflineDrafter._follow_guideline`: preferred terms; for
error-severity rules, banned phrases, tense and the word limit), and the drafter's own words
are in its tense; with the built-in guideline, whose rules are warnings, that changes nothing.
Colours, object identity, counts and most directions are left to the reviewer, and the draft
says so; the direction a drawer, window or button is said to move is checked against the
object's displacement, and a gripper said to be open or closed against its opening.
"""

from __future__ import annotations

import math
import os
import re
import time
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from agent.drafting._claims import (
    _WORD,
    FREE_OBJECT_TASKS,
    LEXICON,
    RAISING,
    RETURNED,
    Claim,
    SpecSpan,
    Statement,
    directions,
    find_claims,
    goal_event,
    gripper_states,
    inflect,
    opposite_event,
    outcome_stated,
    retreats,
    speculation_spans,
    task_kind,
    verb_lemma,
)
from agent.drafting._protocol import Capabilities, RunIdentity, check_caption
from agent.drafting._result import FREE, Provenance
from agent.drafting._rewrite_check import has_finite_verb, rewrite_problems
from agent.guidelines._guideline import Guidelines, guidelines_for
from agent.schema import Draft, DraftResult, Hallucination, Omission, span_occurrences
from agent.settings import Settings
from agent.telemetry import GRASP_RISE_M, GRIPPER_CLOSED_BELOW, MOVED_M, REACH_M, Telemetry

if TYPE_CHECKING:
    from agent.media._frames import Frames

OBJECTS = {
    "pick-place": "puck",
    "push": "puck",
    "drawer": "drawer",
    "button": "button",
    "window": "window",
    "door": "door",
}
FAILS = ", and the task fails"
NOT_CHECKED = (
    "Not checked (not in the telemetry): colours, object identity, counts, and directions "
    "other than which way a drawer, window or button moves; check them against the video."
)
# what the arm does to the task's object instead of grasping it, by task family
CONTACT_VERB = {
    "drawer_open": "hook",
    "window_open": "push",
    "window_close": "push",
    "press": "press",
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
    release_t: float | None = None  # the gripper opens again after the grasp
    gripper_closes: bool = False
    moved: bool | None = None  # the object moves at all
    reached: bool | None = None  # the end effector comes near the object
    closest_t: float | None = None
    reversed: bool = False  # an articulated object moves and comes back
    kind: str | None = None
    close_t: float | None = None  # the gripper first closes (0 if closed from the start)
    close_gap_m: float | None = None  # how far the object is when it does
    closes_on_t: float | None = None  # the gripper closes within reach of the object
    opens: bool = False  # the gripper opens at some point (a release)
    reach_t: float | None = None  # the end effector first comes within reach of the object
    move_t: float | None = None  # the object first moves (pushed, pulled, pressed, lifted)
    open_t: float | None = None  # the gripper first opens after closing
    arrive_t: float | None = None  # a successful episode's object comes to where it ends
    rise_m: float = 0.0  # the object's highest rise above where it starts
    # the object's displacement where it is farthest from where it starts (x, y, z in metres)
    shift: tuple[float, float, float] | None = None

    @classmethod
    def of(cls, tel: Telemetry) -> Facts:
        grasp_t, lift_t = tel.grasp_and_lift()
        changes = tel.gripper_changes()
        release_t = next(
            (t for t, k in changes if k == "open" and grasp_t is not None and t > grasp_t), None
        )
        starts_closed = bool(tel.gripper and tel.gripper[0] < GRIPPER_CLOSED_BELOW)
        closes = any(k == "close" for _, k in changes) or starts_closed
        close_t = 0.0 if starts_closed else next((t for t, k in changes if k == "close"), None)
        moved = reached = closest_t = reach_t = closes_on_t = close_gap = move_t = None
        arrive_t = shift = None
        rise = 0.0
        rev = False
        if tel.object_pos:
            o0 = tel.object_pos[0]
            dists = [math.dist(o0, p) for p in tel.object_pos]
            moved = max(dists) >= MOVED_M
            move_t = next((t for t, d in zip(tel.t, dists, strict=True) if d >= MOVED_M), None)
            rise = max(p[2] for p in tel.object_pos) - o0[2]
            far = tel.object_pos[max(range(len(dists)), key=dists.__getitem__)]
            shift = (far[0] - o0[0], far[1] - o0[1], far[2] - o0[2])
            last = tel.object_pos[-1]
            if tel.success and moved:
                away = [i for i, p in enumerate(tel.object_pos) if math.dist(p, last) >= SETTLED_M]
                arrive_t = tel.t[away[-1] + 1] if away and away[-1] + 1 < len(tel.t) else None
            rev = max(dists) >= MOVED_M and dists[-1] < 0.6 * max(dists)
            if tel.ee_pos:
                gaps = [math.dist(a, b) for a, b in zip(tel.ee_pos, tel.object_pos, strict=True)]
                i = min(range(len(gaps)), key=gaps.__getitem__)
                reached, closest_t = gaps[i] <= REACH_M, tel.t[i]
                reach_t = next((t for t, g in zip(tel.t, gaps, strict=True) if g <= REACH_M), None)
                at = {t: g for t, g in zip(tel.t, gaps, strict=True)}
                closes_on_t = next(
                    (t for t, k in changes if k == "close" and at[t] <= REACH_M), None
                )
                if starts_closed and gaps[0] <= REACH_M:
                    closes_on_t = 0.0
                if close_t is not None:
                    close_gap = at.get(close_t, gaps[0])
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
            close_t,
            close_gap,
            closes_on_t,
            any(k == "open" for _, k in changes),
            reach_t,
            move_t,
            next(
                (t for t, k in changes if k == "open" and close_t is not None and t > close_t), None
            ),
            arrive_t,
            rise,
            shift,
        )

    def heading(self) -> str | None:
        """Which way the object moves: 'up', 'down' or 'sideways' (mostly horizontal); None
        when it does not move."""
        if not self.moved or self.shift is None:
            return None
        x, y, z = self.shift
        if abs(z) < VERTICAL_SHARE * math.hypot(x, y, z):
            return "sideways"
        return "up" if z > 0 else "down"


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
    edit: Edit | None
    left: str | None = None  # why its rewording was not made (the reviewer words it)
    alternatives: list[Edit] = field(default_factory=list)  # tried in order if `edit` fails

    def hallucination(self, caption: str, duration: float | None) -> Hallucination:
        why = self.explanation
        if self.left:
            why += f"; not reworded: the automatic rewording {self.left}, so the wording is yours"
        return Hallucination.model_validate(
            {
                "span": caption[self.start : self.end],
                "type": self.type,
                "evidence_times": self.evidence,
                "explanation": why,
            },
            context={"caption": caption, "duration": duration},
        )


@dataclass
class Part:
    """One correction of the rewrite: ways of making it (each a list of edits, tried in order),
    and the finding it makes good."""

    options: list[list[Edit]]
    finding: Finding | None = None
    label: str = ""  # what it is, for the draft's notes ("opening filler")


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


# a sentence whose words before a statement are only the robot as its subject ("Overall, the
# robot does not succeed."): group 1 is where the sentence's words start
ROBOT_SUBJECT_ONLY = re.compile(
    r"(?:^|[.!?]\s+)((?:(?:overall|ultimately|finally|in the end|eventually),?\s+)?"
    r"(?:the|a|an)\s+(?:[\w-]+\s+){0,2}(?:robot|arm|manipulator|gripper)(?:\s+arm)?\s+)$",
    re.IGNORECASE,
)
# a passive's agent after the claim: "by the arm", "by the robot's gripper"
AGENT = re.compile(
    r"\s+by\s+(?:the|a|an|its)\s+(?:[\w'’-]+\s+){0,2}(?:arm|robot|gripper|hand|manipulator|"
    r"claw|effector)\b",
    re.IGNORECASE,
)


# a contrast before a denied step ("; however, it fails to ..."): group 2 is its subject
HOWEVER_BEFORE = re.compile(
    r"(\bhowever,?\s+)((?:it|they|the\s+(?:[\w-]+\s+)?[\w-]+)\s+)?$", re.IGNORECASE
)
# a step said after the outcome claim in the same sentence: ", then holds still"
LATER_STEP = re.compile(
    r"\s*,?\s*(?:and then|then|and afterwards|afterwards|before|after which|and finally)\b",
    re.IGNORECASE,
)
# a relative clause that hangs on the noun before it: ", which then moves back"
RELATIVE_AFTER = re.compile(r",\s*(?:which|who)\b[^,.;!?]*", re.IGNORECASE)


def _past_agent(caption: str, end: int) -> int:
    """Where a passive claim ending at `end` ends with its agent ('by the arm'), if it has one."""
    m = AGENT.match(caption, end)
    return m.end() if m else end


def _goal_word(caption: str) -> str:
    m = re.search(r"\b(target|goal)\b", caption, re.IGNORECASE)
    return m.group(1).lower() if m else "target"


def _rest(caption: str, c: Claim) -> str:
    """The claim's words after its verb: 'it at the target', 'the drawer out'."""
    return caption[c.verb_end : c.end].strip()


JOINT_BEFORE = re.compile(
    r"(,?\s+(?:and then|and|but|then|where|(?:after|before|upon|at) which(?: point)?|which|so|"
    r"while)\s+|,\s*|;\s*)$",
    re.IGNORECASE,
)
# a subject-only lead-in after a joint ('where it', 'and then the gripper'), never a sentence's
# own subject
LEAD_IN = re.compile(
    r"(?:\b(?:and then|and|but|then|so|where|(?:after|before|upon|at) which(?: point)?|which|"
    r"while)\s+|[,;]\s*)"
    r"((?:(?:it|the|its|gripper|then|also|finally|now)\s+){1,3})$",
    re.IGNORECASE,
)


# a sentence adverb that only links the clause to the one before ("; however, ...")
CONNECTIVE_BEFORE = re.compile(
    r"[,;]\s*(?:however|therefore|thus|instead|still|meanwhile|ultimately|eventually|finally|"
    r"in the end|as a result|consequently)\s*,?\s*$",
    re.IGNORECASE,
)


def _joint_before(caption: str, start: int) -> tuple[int, str]:
    """The conjunction or comma right before `start`: (where it starts, its text)."""
    m = JOINT_BEFORE.search(caption[:start])
    return (m.start(), m.group(0)) if m else (start, "")


def _jw(joint: str) -> str:
    """The word of a joint: ', and ' -> 'and'."""
    return joint.strip(" ,;").lower()


def _joint_after(caption: str, end: int) -> tuple[int, str]:
    m = re.match(r"(,?\s+(?:and then|and|then)\s+|,\s+)", caption[end:])
    return (end + m.end(), m.group(0)) if m else (end, "")


def _delete(caption: str, start: int, end: int) -> Edit:
    """Remove a clause with one conjunction next to it, so the sentence still reads; a
    subject-only lead-in ('where it', 'and then the gripper') goes with it."""
    lead = LEAD_IN.search(caption[:start])
    if lead and lead.group(1):
        start = lead.start(1)
    connective = CONNECTIVE_BEFORE.search(caption[:start])
    if connective:  # "; however, it misses the puck" goes with its "however"
        start = connective.start() + 1
    semi = re.search(r";\s*$", caption[:start])
    sentence_start = not caption[:start].strip() or bool(re.search(r"[.!?;]\s*$", caption[:start]))
    adjunct = re.match(r"\s+(?:as|while|when|because|since|once)\b[^.!?;,]*", caption[end:])
    if sentence_start and adjunct and re.match(r"\s*(?:[.!?;]|$)", caption[end + adjunct.end() :]):
        end += adjunct.end()  # "; the button is released as the arm moves away." goes whole
    sentence_end = bool(re.match(r"\s*(?:[.!?]|$)", caption[end:]))
    if semi and sentence_end:  # "...; the task remains incomplete." -> "..."
        return Edit(semi.start(), end, "")
    if sentence_start and sentence_end:  # the whole sentence: drop it with its full stop
        m = re.match(r"\s*[.!?]?\s*", caption[end:])
        return Edit(start, end + (m.end() if m else 0), "")
    after, joint_after = _joint_after(caption, end)
    before, joint_before = _joint_before(caption, start)
    if joint_before and not sentence_start:
        listed = re.search(r",\s+([a-z]+)\b[^,;.!?]*$", caption[:before])
        if (
            _jw(joint_before) in ("and", "and then")
            and re.match(r"\s*(?:[.,;!?]|$)", caption[end:])
            and listed
            and _third_person(listed.group(1))
        ):
            # the last of "A, B and then C" goes: "A and B"
            a = listed.start()
            return Edit(a, end, " and " + caption[listed.start(1) : before])
        return Edit(before, end, "")
    if joint_after:
        return Edit(start, after, "")
    return Edit(start, end, "")


def _form_word(c: Claim, lemma: str) -> str:
    """`lemma` in the form the claim's verb was in ('moves', 'moving', 'move', 'having
    moved'); it replaces the claim's words up to its verb."""
    if c.participle and c.form == "ed":
        return f"having {inflect(lemma, 'ed')}"  # tidy() capitalises it at a sentence start
    form = c.form if c.form in ("3sg", "ing", "base") else "3sg"
    if c.hedge is not None:
        plain = c.hedge.plain.split()[0]
        form = "ing" if plain.endswith("ing") else "base" if verb_lemma(plain) == plain else "3sg"
    return inflect(lemma, form)


def _third_person(word: str) -> bool:
    """Whether a word is a verb's third-person singular ('brings', 'lifts'), by lemminflect."""
    from lemminflect import getInflection

    lemma = verb_lemma(word)
    return lemma is not None and word.lower() in getInflection(lemma, "VBZ")


def _participial(text: str) -> bool:
    """Whether text opens with a participle ('successfully completing the task', 'having
    lifted it'), past any adverbs: a clause that hangs on the one before it by a comma."""
    from lemminflect import getAllLemmas, getInflection

    for m in _WORD.finditer(text):
        w = m.group(0).lower()
        lemmas = getAllLemmas(w)
        if set(lemmas) == {"ADV"}:
            continue
        lemma = verb_lemma(w)
        return w == "having" or (lemma is not None and w in getInflection(lemma, "VBG"))
    return False


MANNER = re.compile(r"\s*\b(?:successfully|firmly|completely|fully|smoothly|easily)\b", re.I)


def _negate(caption: str, c: Claim) -> str:
    """'pushes the puck to the goal' -> 'does not push the puck to the goal' (without the
    manner words a denied step cannot have: 'successfully', 'firmly')."""
    text = caption[c.start : c.end]
    if c.passive:
        # "gets pressed" -> "does not get pressed"; "is pushed" -> "is not pushed"
        got = re.search(r"\b(gets|get)\b", text)
        aux = re.search(r"\b(is|are|was|were)\b", text)
        if got and (aux is None or got.start() < aux.start()):
            do = "does not get" if got.group(1) == "gets" else "do not get"
            text = text[: got.start()] + do + text[got.end() :]
        elif aux:
            text = text[: aux.end()] + " not" + text[aux.end() :]
        return MANNER.sub("", text)
    rest = MANNER.sub("", _rest(caption, c)).strip()
    if c.participle and c.form == "ed":  # "Having slid it across" -> "Without sliding it across"
        lead = (
            "Without" if c.start == 0 or re.search(r"[.!?]\s*$", caption[: c.start]) else "without"
        )
        return f"{lead} {inflect(c.lemma, 'ing')} {rest}".strip()
    if c.form == "ing" and c.hedge is None:
        return f"without {caption[c.verb_start : c.verb_end]} {rest}".strip()
    return f"does not {c.lemma} {rest}".strip()


def _affirm(caption: str, c: Claim) -> str:
    """'fails to push it down' -> 'pushes it down'; 'without lifting it' -> 'after lifting it'."""
    rest = _rest(caption, c)
    if c.passive:
        return re.sub(r"\s+(?:not|never)\b", "", caption[c.start : c.end], count=1)
    lead = " ".join(w for w in caption[c.start : c.verb_start].lower().split() if w != "ever")
    if lead in ("without", "instead of"):  # "without ever lifting it" too
        return f"after {caption[c.verb_start : c.verb_end]} {rest}".strip()
    if lead == "before":  # "stops before reaching the target" -> "stops after reaching it"
        return f"after {inflect(c.lemma, 'ing')} {rest}".strip()
    if c.event == "contact":  # "does not make contact with it" -> "makes contact with it"
        first, *more = caption[c.verb_start : c.verb_end].split()
        return " ".join([inflect(verb_lemma(first) or first, "3sg"), *more, rest]).strip()
    if c.form == "ing" and c.hedge is None and lead in ("never", "not"):
        return f"{caption[c.verb_start : c.verb_end]} {rest}".strip()  # ", never lifting it"
    return f"{inflect(c.lemma, '3sg')} {rest}".strip()


STATE_SWAP = {
    "open": "closed",
    "closed": "open",
    "shut": "open",
    "out": "in",
    "in": "out",
    "outward": "inward",
    "inward": "outward",
}
VERB_SWAP = {"pull": "push", "push": "pull", "open": "close", "close": "open", "shut": "open"}


def _swap_state(text: str) -> str:
    """'pulls the drawer out until it is open' -> 'pushes the drawer in until it is closed':
    end states swap, and so do the verbs that make them, in their own form (lemminflect);
    'closed' is a state except after 'having', 'has', 'had' ('having closed it' -> 'having
    opened it')."""

    def word(m: re.Match[str]) -> str:
        w = m.group(0)
        low = w.lower()
        before = text[: m.start()].split()
        perfect = bool(before) and before[-1].lower() in ("having", "has", "had")
        if low in STATE_SWAP and not (perfect and low in ("closed", "shut")):
            return STATE_SWAP[low]
        lemma = verb_lemma(low)
        if lemma in VERB_SWAP:
            form = next(
                (f for f in ("3sg", "ing", "ed", "past") if inflect(lemma, f) == low), "base"
            )
            return inflect(VERB_SWAP[lemma], form)
        return w

    return re.sub(
        r"\b(?:open|opens|opened|opening|closed|closes|closing|shut|shuts|out|in|outward|inward|"
        r"pull|pulls|pulled|pulling|push|pushes|pushed|pushing)\b",
        word,
        text,
    )


class OfflineDrafter:
    """Drafts from telemetry alone. It implements the `Drafter` protocol, so jobs run it like
    the model drafter; it calls no model, so its drafts cost nothing."""

    name = "offline"
    capabilities = Capabilities()
    where = "offline drafter (no model)"
    limiter = None

    def __init__(
        self, settings: Settings | None = None, guidelines: Guidelines | None = None
    ) -> None:
        self.settings = settings or Settings()
        s = self.settings
        self.guidelines = guidelines or guidelines_for(s)
        # the built-in guideline is part of the rules' version (a test pins its hash to it);
        # another guideline makes another version, so another run and other cache keys
        self.version = (
            RULES_VERSION
            if self.guidelines.is_builtin
            else f"{RULES_VERSION}-{self.guidelines.hash[:12]}"
        )
        self._provenance = Provenance(
            drafter="offline",
            price=FREE,
            settings={
                "drafter": "offline",
                "rules": self.version,
                "guideline_version": self.guidelines.version,
            },
        )

    def describe(self) -> str:
        return "the offline drafter (telemetry rules and the guideline linter)"

    def identity(self) -> RunIdentity:
        return RunIdentity(drafter=self.name, prompt_name="offline-rules", prompt_hash=self.version)

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
        warnings = self.guidelines.lint(caption)
        spec = speculation_spans(caption, warnings)
        task = telemetry.task if telemetry is not None else None
        if telemetry is None or not telemetry.t:
            plan.notes.append("No telemetry: only the guideline checks ran.")
        else:
            self._check(caption, telemetry, plan, [(s.start, s.end) for s in spec if s.clause])
        if telemetry is not None and telemetry.note:  # e.g. the dataset has no gripper signal
            plan.notes.append(telemetry.note)
        for s in spec:
            if any(f.start < s.end and s.start < f.end for f in plan.findings):
                continue  # a hedged claim the telemetry contradicts: its finding covers the hedge
            plan.findings.append(
                Finding(
                    s.start,
                    s.end,
                    "speculation",
                    "the video cannot show intent or manner",
                    [],
                    self._unspeculate(caption, s),
                )
            )
        plan.findings = self._merge_contacts(caption, plan.findings)
        parts = [
            Part([[e] for e in self._own_edits(f, plan.findings)], f)
            for f in plan.findings
            if f.edit is not None
        ]
        parts += [Part([[e]], label=f"the insert {e.new.strip(' ,')!r}") for e in plan.inserts]
        rewrite, rejected = self._compose(caption, parts, task)
        rewrite = self._follow_guideline(caption, rewrite, task, plan)
        left: list[str] = []
        for f in plan.findings:
            span = caption[f.start : f.end].strip()
            kept = span_occurrences(span, rewrite) >= max(1, span_occurrences(span, caption))
            if kept and f.edit is None:
                f.left = "could not be made safely"
            if kept and f.left is None:
                f.left = next((why for p, why in rejected if p.finding is f), None) or (
                    "was not made"
                )
            if kept:
                left.append(span)
        skipped = [p for p, _ in rejected if p.finding is None]
        if left:
            plan.notes.append(
                "Left to the reviewer to reword (the automatic rewording failed its check): "
                + "; ".join(repr(s) for s in left)
                + "."
            )
        if skipped:
            plan.notes.append(
                "Not applied, because the result failed the rewrite check: "
                + "; ".join(p.label for p in skipped)
                + "."
            )
        plan.notes.append(NOT_CHECKED)
        duration = telemetry.t[-1] + 1.0 if telemetry and telemetry.t else None
        context = {"caption": caption, "duration": duration, "drafter": "offline"}
        halls = [
            f.hallucination(caption, duration) for f in sorted(plan.findings, key=lambda f: f.start)
        ]
        oms = plan.omissions
        verdict = "needs_edit" if halls or oms or rewrite != caption else "accurate"
        fields = {
            "observations": " ".join(plan.notes),
            "hallucinations": halls,
            "omissions": oms,
            "rewrite": rewrite,
            "verdict": verdict,
            "left_to_reviewer": left,
        }
        try:
            return Draft.model_validate(fields, context=context)
        except ValueError as e:
            # Never expected (every part was checked); keep the findings and the caption's words.
            fields |= {
                "observations": fields["observations"]
                + f" The rewrite could not be kept ({str(e)[:200]}); edit it by hand.",
                "rewrite": caption,
                "verdict": "needs_edit" if halls or oms else "accurate",
                "left_to_reviewer": sorted({h.span for h in halls}),
            }
            return Draft.model_validate(fields, context=context)

    # ------------------------------------------------------------ edits

    @staticmethod
    def _unspeculate(caption: str, s: SpecSpan) -> Edit:
        if s.clause:
            m = re.search(r",\s*$", caption[: s.start])
            s0 = m.start() if m else s.start
            after = re.match(r"\s*,", caption[s.end :])
            if m and after:  # ", intending to test it," in mid-sentence
                sentence = re.split(r"[.!?;]\s", caption[:s0])[-1]
                if has_finite_verb(sentence) and _participial(caption[s.end + after.end() :]):
                    # "pushes it down, seemingly with some effort, completing the task": the
                    # participle after it still needs its comma
                    return Edit(s0, s.end + after.end(), ", ")
                return Edit(s0, s.end + after.end(), " ")
            return Edit(s0, s.end, "")
        if s.hedge is not None:  # "seems to be trying to lift" -> "lifts"
            return Edit(s.hedge.start, s.hedge.head_end, s.hedge.plain)
        m = re.match(r"\s+", caption[s.end :])
        return Edit(s.start, s.end + (m.end() if m else 0), "")

    def _apply(self, caption: str, edits: list[Edit]) -> str:
        kept: list[Edit] = []
        for e in sorted(edits, key=lambda e: (e.start, e.end)):
            if kept and e.start < kept[-1].end:
                continue  # overlapping edits: the first one wins
            kept.append(e)
        out = caption
        for e in reversed(kept):
            out = out[: e.start] + self._in_tense(e.new) + out[e.end :]
        return tidy(out)

    def _in_tense(self, text: str) -> str:
        """The drafter's own words in the guideline's tense: they are written in the present
        ('does not lift it', ', and the task fails'); a past-tense guideline gets the past
        ('did not lift it', ', and the task failed'), from the guideline's own table of forms
        and lemminflect for the claim verbs the table lacks."""
        rule = self.guidelines.tense_rule()
        if rule is None or rule.use != "past" or not text:
            return text
        return past_tense(text, rule.forms)

    def _follow_guideline(self, caption: str, rewrite: str, task: str | None, plan: Plan) -> str:
        """The rewrite made to follow the guideline where a rule has one right fix, each step
        kept only when the result still passes the rewrite check: banned variants replaced by
        the preferred term (any severity but off); and, for rules of severity error, banned
        phrases removed, verbs put in the guideline's tense, and sentences that state no
        outcome dropped, last first, until the word limit holds. Rules at warning severity
        (the built-in guideline's) stay the reviewer's to apply, as an opening "In this video,"
        is."""
        g = self.guidelines

        def ok(candidate: str) -> bool:
            return candidate == rewrite or not rewrite_problems(
                caption, candidate, task, guidelines=g
            )

        if g.terms and g.severity("term") != "off":
            candidate = g.apply_terms(rewrite)
            if ok(candidate):
                rewrite = candidate
        for rule in g.phrase_rules():
            if rule.severity != "error":
                continue
            refused: set[tuple[str, int]] = set()
            while True:  # the last match first; a cut that fails the check is not tried again
                found = [w for w in g.lint(rewrite) if w.kind == rule.kind and w.start >= 0]
                keys = [
                    (w.text.lower(), rewrite.lower().count(w.text.lower(), 0, w.start))
                    for w in found
                ]
                todo = [(w, k) for w, k in zip(found, keys, strict=True) if k not in refused]
                if not todo:
                    break
                w, key = todo[-1]
                candidate = tidy(_cut(rewrite, w.start, w.end))
                if ok(candidate):
                    rewrite = candidate
                else:
                    refused.add(key)
        tense = g.tense_rule()
        if tense is not None and tense.severity == "error":
            candidate = (
                past_tense(rewrite, tense.forms)
                if tense.use == "past"
                else _replace_forms(rewrite, tense.forms)
            )
            if ok(candidate):
                rewrite = candidate
        limits = g.limits()
        if limits is not None and limits.severity == "error" and limits.max_words is not None:
            rewrite = self._shorten(caption, rewrite, task, limits.max_words, plan)
        return rewrite

    def _shorten(
        self, caption: str, rewrite: str, task: str | None, max_words: int, plan: Plan
    ) -> str:
        """Drop whole sentences that state no outcome, the last such first, until the rewrite
        has at most `max_words` words; each drop passes the rewrite check and keeps the outcome
        the rewrite states. What cannot be shortened so is said in the observations."""
        success, failure = outcome_stated(rewrite, task)
        dropped_sentences: list[str] = []
        while _word_count(rewrite) > max_words:
            sentences = re.split(r"(?<=[.!?])\s+", rewrite.strip())
            if len(sentences) < 2:
                break
            dropped = None
            for i in reversed(range(len(sentences))):
                if any(outcome_stated(sentences[i], task)):
                    continue
                candidate = tidy(" ".join(sentences[:i] + sentences[i + 1 :]))
                if outcome_stated(candidate, task) != (success, failure):
                    continue
                if not rewrite_problems(caption, candidate, task, guidelines=self.guidelines):
                    dropped = candidate
                    dropped_sentences.insert(0, sentences[i])
                    break
            if dropped is None:
                break
            rewrite = dropped
        if dropped_sentences:
            plan.notes.append(
                f"Dropped to keep within the guideline's {max_words} words: "
                + " ".join(repr(x) for x in dropped_sentences)
                + "."
            )
        n = _word_count(rewrite)
        if n > max_words:
            plan.notes.append(
                f"The rewrite has {n} words, over the guideline's {max_words}: what is left "
                "states the outcome or could not be dropped cleanly, so shortening it is the "
                "reviewer's to do."
            )
        return rewrite

    def _compose(
        self, caption: str, parts: list[Part], task: str | None
    ) -> tuple[str, list[tuple[Part, str]]]:
        """Make the parts one at a time, each only if the rewrite with it still passes the
        check; a part that fails is tried again once others are made (a success claim can
        only go once the success statement after it has gone). What never passes is returned
        with why, and its caption text stays."""
        accepted: list[list[Edit]] = []
        pending = sorted(parts, key=lambda p: min(e.start for o in p.options for e in o))
        why: dict[int, str] = {}

        def problems_with(edits: list[Edit], found: list[Finding]) -> list[str]:
            taken = [e for option in accepted for e in option]
            if any(e.start < t.end and t.start < e.end for e in edits for t in taken) or any(
                a.start < b.end and b.start < a.end for a in edits for b in edits if a is not b
            ):
                return ["overlaps another correction"]
            candidate = self._apply(caption, taken + edits)
            problems = rewrite_problems(caption, candidate, task, guidelines=self.guidelines)
            for finding in found:
                span = caption[finding.start : finding.end].strip()
                if span_occurrences(span, candidate) >= max(1, span_occurrences(span, caption)):
                    problems.append("keeps the flagged words")
            return problems

        def singles(level: int) -> None:
            progress = True
            while pending and progress:
                progress = False
                for p in list(pending):
                    for option in p.options[: level + 1]:
                        problems = problems_with(option, [p.finding] if p.finding else [])
                        if problems:
                            why.setdefault(id(p), "; ".join(problems))
                            continue
                        accepted.append(option)
                        pending.remove(p)
                        progress = True
                        break

        def pairs() -> None:
            """Parts that only work together ('does not push it down' -> 'pushes it down'
            with 'the task is not completed' -> 'the task is completed')."""
            for a in list(pending):
                for b in list(pending):
                    if a is b or a not in pending or b not in pending:
                        continue
                    found = [x.finding for x in (a, b) if x.finding]
                    if not problems_with(a.options[0] + b.options[0], found):
                        accepted.extend([a.options[0], b.options[0]])
                        pending.remove(a)
                        pending.remove(b)

        # best options first, for every part, before any part falls back to a lesser one
        for level in range(max((len(p.options) for p in parts), default=0)):
            singles(level)
            if level == 0:
                pairs()
                singles(level)
        rewrite = self._apply(caption, [e for edits in accepted for e in edits])
        return rewrite, [(p, why.get(id(p), "was not made")) for p in pending]

    @staticmethod
    def _own_edits(f: Finding, findings: list[Finding]) -> list[Edit]:
        """A finding's ways of rewording it, without those that reach into another finding's
        span (that span has its own correction, or stays for the reviewer)."""
        options = [e for e in [f.edit, *f.alternatives] if e is not None]
        others = [g for g in findings if g is not f]
        own = [
            e
            for e in options
            if not any(
                e.start < g.end and g.start < e.end and not (f.start <= g.start and g.end <= f.end)
                for g in others
            )
        ]
        return own or options

    @staticmethod
    def _merge_contacts(caption: str, findings: list[Finding]) -> list[Finding]:
        """Contacts the arm never makes, said one after another ('reaches the handle and pushes
        it sideways'), are one finding: one span, one 'moves toward ...'."""
        out: list[Finding] = []
        for f in sorted(findings, key=lambda f: f.start):
            last = out[-1] if out else None
            if (
                last is not None
                and last.type == f.type == "action"
                and last.explanation == f.explanation == NEVER_NEAR
                and re.fullmatch(r",?\s*(?:and(?: then)?)?\s*", caption[last.end : f.start])
                and last.edit is not None
            ):
                out[-1] = Finding(
                    last.start,
                    f.end,
                    last.type,
                    last.explanation,
                    last.evidence,
                    Edit(last.start, f.end, last.edit.new),
                )
                continue
            out.append(f)
        return out

    # ------------------------------------------------------------ checks

    def _check(self, caption: str, tel: Telemetry, plan: Plan, skip: list[tuple[int, int]]) -> None:
        f = Facts.of(tel)
        claims, statements = find_claims(caption, tel.task, skip=skip)
        end = [round(f.end, 2)]
        goal = goal_event(f.kind)
        free = f.kind in FREE_OBJECT_TASKS or (f.kind is None and f.has_object)
        done: set[int] = set()  # claims already covered by a finding
        fail_said = any(s.kind == "fail" for s in statements) or any(
            c.negated
            and not c.hedged
            and (c.event in goal or (c.event == "push" and f.kind == "push"))
            for c in claims
        )

        def add(
            c0: Claim,
            c1: Claim,
            kind: str,
            why: str,
            ev: list[float],
            edit: Edit | None,
            *alternatives: Edit,
        ) -> None:
            start = c0.start if c0.subject_start is None else c0.subject_start
            plan.findings.append(
                Finding(start, c1.end, kind, why, ev, edit, alternatives=list(alternatives))
            )
            done.update(i for i, c in enumerate(claims) if c0.start <= c.start and c.end <= c1.end)

        # order: two steps said one after the other that the telemetry puts the other way round
        for first, later, t_first, t_later, span_start, edits in self._misordered(
            caption, claims, f, free
        ):
            c0, c1 = sorted((claims[first], claims[later]), key=lambda c: c.start)
            add(
                replace(c0, start=min(c0.start, span_start)),
                c1,
                "order",
                f"{STEP_NAME[claims[first].event]} comes first (t={t_first:.1f}s), "
                f"{STEP_NAME[claims[later].event]} after (t={t_later:.1f}s)",
                [round(t_first, 2)],
                *(edits or [None]),
            )

        def regrasp_denied(c: Claim) -> bool:
            """A grasp denied after the caption has the object let go ('the gripper opens
            ... the arm lowers toward the puck again without picking it up'): a second grasp,
            which the telemetry confirms did not happen when the gripper never closes again."""
            let_go = any(
                x.end <= c.start and x.event in ("release", "gripper_open") and not x.negated
                for x in claims
            ) or any(s.end <= c.start and s.cause == "drop" for s in statements)
            closes_again = f.release_t is not None and any(
                k == "close" and t > f.release_t for t, k in tel.gripper_changes()
            )
            return let_go and f.release_t is not None and not closes_again

        antecedent: dict[int, str] = {}
        for i, c in enumerate(claims):
            if i in done:
                continue
            # grasp
            if c.event == "grasp" and f.has_gripper and f.has_object:
                # free object: it moves with the closed gripper; else: it closes at the object
                held = f.grasp_t is not None if free else f.closes_on_t is not None
                if free and c.lemma in ("close", "shut") and f.closes_on_t is not None:
                    # "closes its gripper on the puck" says the gripper closes at the object,
                    # which it does, not that the object moves with it (a grasp, guideline 5)
                    held = True
                if not c.negated and not held:
                    add(
                        c,
                        c,
                        "gripper_or_grasp",
                        self._no_grasp_why(f, free),
                        [round(f.close_t, 2)] if f.close_t is not None and not free else end,
                        *self._drop_grasp(caption, claims, i, antecedent, f),
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
                elif c.negated and free and f.grasp_t is not None and not regrasp_denied(c):
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
                slight = (
                    f.kind == "push"
                    and f.rise_m >= GRASP_RISE_M
                    and not HIGH_LIFT.search(caption[c.verb_end : c.end])
                )
                if not c.negated and not free and f.heading() in ("sideways", "down"):
                    # "lifts the window pane upward": it moves, but not up
                    heading = f.heading()
                    add(
                        c,
                        c,
                        "direction_or_spatial",
                        f"the object moves {self._heading_words(f)}, it does not rise",
                        [round(f.move_t or 0, 2)],
                        Edit(c.start, c.end, self._redirect(caption, c, f, heading)),
                    )
                elif not c.negated and f.lift_t is None and not slight:
                    b, joint = _joint_before(caption, c.start)
                    new = _negate(caption, c)
                    edit = (
                        Edit(b, c.end, " but " + new)
                        if _jw(joint) == "and"
                        else Edit(c.start, c.end, new)
                    )
                    options = [edit]
                    if f.kind in FREE_OBJECT_TASKS and not c.participle:
                        options.insert(0, _delete(caption, c.start, c.end))  # a push: it goes
                    add(c, c, "action", "the object never rises", end, *options)
                elif c.negated and f.lift_t is None and slight and f.grasp_t is not None:
                    # a pushed puck the closed gripper raises a centimetre or more: "never
                    # lifting it" is not so (a slight lift is no false lift, either way)
                    lifted = _affirm(caption, c) + " slightly"
                    flat = re.search(r"\bflat\s+([^,;.]*,\s*)$", caption[: c.start], re.I)
                    c0 = replace(c, start=flat.start()) if flat else c  # "flat ..., never lifting"
                    add(
                        c0,
                        c,
                        "action",
                        f"the object rises {f.rise_m * 100:.0f} cm in the closed gripper from "
                        f"t={f.grasp_t:.1f}s",
                        [round(f.grasp_t, 2)],
                        Edit(c0.start, c.end, (flat.group(1) if flat else "") + lifted),
                    )
                elif c.negated and f.lift_t is not None:
                    b, joint = _joint_before(caption, c.start)
                    new = _affirm(caption, c)
                    edit = (
                        Edit(b, c.end, " and " + new)
                        if _jw(joint) == "but"
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
            # a release, or the gripper opening, that the gripper never makes
            elif c.event in ("release", "gripper_open") and f.has_gripper and not c.negated:
                if not f.opens:
                    options = [_delete(caption, c.start, c.end)]
                    at = TARGET_PHRASE.search(caption, c.verb_end, c.end)
                    if at and f.success and f.kind == "pick_place" and f.grasp_t is not None:
                        # "opens its gripper to drop it onto the blue target": the object does
                        # end there, held -> "holds it at the blue target"
                        held = f"{_form_word(c, 'hold')} it at {at.group('np')}"
                        options.insert(0, Edit(c.start, c.end, held))
                    add(
                        c,
                        c,
                        "gripper_or_grasp",
                        "the gripper never opens"
                        + (" once it closes" if f.gripper_closes else "")
                        + ": it lets go of nothing",
                        end,
                        *options,
                    )
            elif c.event == "gripper_close" and f.has_gripper and not c.negated:
                if not f.gripper_closes:
                    add(
                        c,
                        c,
                        "gripper_or_grasp",
                        "the gripper stays open for the whole clip",
                        end,
                        _delete(caption, c.start, c.end),
                    )
            # the opposite of the task: closing a drawer the episode opens
            elif c.event == opposite_event(f.kind) and not c.negated and not f.reversed:
                only = all(
                    j == i or claims[j].event not in goal | {"contact"} for j in range(len(claims))
                )
                text = caption[c.start : c.end]
                if c.hedge is not None:
                    text = c.hedge.plain + caption[c.hedge.head_end : c.end]
                swap = Edit(c.start, c.end, _swap_state(text))
                cut = _delete(caption, c.start, c.end)
                # a state word alone ("leaving the window shut") is swapped, never cut
                bare = re.fullmatch(r"(?:shut|closed|open|opened)", text.strip(), re.I) is not None
                options = [swap, cut] if only or c.participle or bare else [cut, swap]
                if f.success is not True:  # the swap would claim the goal the episode misses
                    options = [self._toward(caption, c, c), cut]
                add(c, c, "action", "the object moves only toward the task's goal", end, *options)
            # a contact denied on a successful episode whose arm reaches the object
            elif c.event == "contact" and c.negated and f.success is True and f.reached:
                add(
                    c,
                    c,
                    "action",
                    f"the arm reaches the object at t={f.reach_t or 0:.1f}s",
                    [round(f.reach_t or 0, 2)],
                    Edit(c.start, c.end, _affirm(caption, c)),
                )
            # a push of an object that never moves
            elif c.event == "push" and not c.negated and f.moved is False:
                add(
                    c,
                    c,
                    "action",
                    "the object never moves",
                    end,
                    *(
                        [self._toward(caption, c, c), Edit(c.start, c.end, _negate(caption, c))]
                        if c.hedged
                        else [Edit(c.start, c.end, _negate(caption, c))]
                    ),
                )
            # a push of an object the telemetry shows carried: it rises in the gripper
            elif (
                (c.event == "push" or (c.event == "arrive" and f.success is not False))
                and not c.negated
                and not c.passive
                and f.kind == "pick_place"
                and f.lift_t is not None
                and c.lemma in ("push", "slide", "shove", "drag", "nudge", "roll", "sweep")
            ):
                # "slides it along the table to the target" -> "carries it to the target"
                rest = SURFACE.sub("", caption[c.verb_end : c.end])
                add(
                    c,
                    c,
                    "action",
                    f"the object is carried, not pushed: it rises in the gripper from "
                    f"t={f.lift_t:.1f}s",
                    [round(f.lift_t, 2)],
                    Edit(c.start, c.end, _form_word(c, "carry") + rest),
                    Edit(c.start, c.verb_end, _form_word(c, "carry")),
                )

        # outcome: the claims that say the task succeeded, on a failed episode
        if f.success is False:
            first_outcome_end: int | None = None
            claimed = False  # the caption says (not only hedges) that the task succeeded
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
                        r",?\s*(?:and then|and|then|where(?: it)?)?\s*",
                        caption[claims[last].end : claims[last + 1].start],
                    )
                ):
                    last += 1
                c0, c1 = claims[first], claims[last]
                fail_edit = self._fail_edit(caption, c0, c1, f, antecedent.get(first))
                options = [fail_edit]
                if fail_said:  # the caption says the failure elsewhere: the claim just goes
                    options = [_delete(caption, c0.start, c1.end), fail_edit]
                if c0.hedged and fail_said:
                    options.insert(0, self._toward(caption, c0, c1))
                add(c0, c1, "outcome", "the episode fails (telemetry success flag)", end, *options)
                if first_outcome_end is None:
                    # a passive's agent stays with its verb: "... is not pushed to the target
                    # by the arm, and the task fails"
                    first_outcome_end = _past_agent(caption, c1.end) if c1.passive else c1.end
                    # nor is a relative clause parted from the noun it follows
                    rel = RELATIVE_AFTER.match(caption, first_outcome_end)
                    if rel:
                        first_outcome_end = rel.end()
                    # nor does it come between two steps: "does not slide it open, then holds
                    # still, and the task fails"
                    if LATER_STEP.match(caption, first_outcome_end):
                        stop = re.compile(r"[.!?;]").search(caption, first_outcome_end)
                        first_outcome_end = stop.start() if stop else len(caption.rstrip())
                claimed = claimed or not c0.hedged
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
                    NEVER_NEAR,
                    [round(f.closest_t or 0, 2)],
                    Edit(c.start, c.end, new),
                )
            for s in statements:
                if s.kind != "success" or self._covered(plan, s):
                    continue
                whole = self._whole_sentence(caption, s)
                cut = _delete(caption, s.start, s.end)
                options = [Edit(s.start, s.end, "The task fails"), cut] if whole else [cut]
                lead = ROBOT_SUBJECT_ONLY.search(caption[: s.start])
                if lead and re.match(r"\s*(?:[.!?]|$)", caption[s.end :]):
                    # "The robot completes its objective." -> "The task fails."
                    whole = True
                    options = [Edit(lead.start(1), s.end, "The task fails")]
                fail_said = fail_said or whole
                claimed = True
                plan.findings.append(
                    Finding(
                        s.start,
                        s.end,
                        "outcome",
                        "the episode fails (telemetry success flag)",
                        end,
                        options[0],
                        alternatives=options[1:],
                    )
                )
            if not fail_said:
                if not claimed:  # only hedged, or no word on the outcome at all: an omission
                    plan.omissions.append(
                        Omission(description="the task fails", type="outcome", evidence_times=end)
                    )
                if first_outcome_end is None:
                    plan.inserts.append(self._insert_at_end(caption, FAILS))
                else:
                    plan.inserts.append(Edit(first_outcome_end, first_outcome_end, FAILS))
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
                without = caption[c.start : c.verb_start].strip().lower() == "without"
                if without:  # "pushes the drawer without closing it" -> "... and closes it"
                    new = f"{inflect(c.lemma, '3sg')} {_rest(caption, c)}".strip()
                edit = (
                    Edit(b, c.end, " and " + new)
                    if _jw(joint) in ("but", "") and without
                    else Edit(b, c.end, " and " + new)
                    if _jw(joint) == "but"
                    else Edit(c.start, c.end, new)
                )
                contrast = HOWEVER_BEFORE.search(caption[: c.start])
                if contrast and edit.start == c.start:
                    # "; however, it fails to bring it" -> "; it brings it": no contrast left
                    subject = contrast.group(2) or ""
                    if re.search(r"(?:^|[.!?]\s*)$", caption[: contrast.start(1)]):
                        subject = subject[:1].upper() + subject[1:]
                    edit = Edit(contrast.start(1), c.end, subject + new)
                add(c, c, "outcome", "the episode succeeds (telemetry success flag)", end, edit)
            for s in statements:
                if s.kind != "fail" or self._covered(plan, s):
                    continue
                dropped = s.cause == "drop" and f.has_gripper and not f.opens
                plan.findings.append(
                    Finding(
                        s.start,
                        s.end,
                        "gripper_or_grasp" if dropped else "outcome",
                        "the gripper holds the object to the end of the clip (it never opens)"
                        if dropped
                        else "the episode succeeds (telemetry success flag)",
                        end,
                        *self._unfail(caption, s, f.kind)[:1],
                        alternatives=self._unfail(caption, s, f.kind)[1:],
                    )
                )
        self._check_gripper_states(caption, tel, f, claims, plan, skip, free)
        self._check_retreats(caption, tel, plan, skip)
        if not free:
            self._check_directions(caption, f, plan, skip)
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
            g = next(
                (c for c in claims if c.event == "grasp" and not c.negated and c.lemma != "hold"),
                None,
            )
            if (
                g is not None
                and not g.participle
                and g.form == "3sg"
                and not any(x.start <= g.start < x.end for x in plan.findings)
            ):
                plan.inserts.append(Edit(g.end, g.end, ", lifts it"))
        plan.notes.append(self._telemetry_note(f))

    def _check_gripper_states(
        self,
        caption: str,
        tel: Telemetry,
        f: Facts,
        claims: list[Claim],
        plan: Plan,
        skip: list[tuple[int, int]],
        free: bool,
    ) -> None:
        """'with its gripper open' where the telemetry has it closed, or the other way round.
        The state is checked at the time of the step it is said with (the claim whose clause
        holds it: 'pushes the puck ... with its fingers spread open'); said with no timed step,
        at the clip's end when its clause says where the arm ends ('remains above it with the
        gripper open'), else only when the gripper keeps one state for (nearly) the whole clip:
        a gripper that closes at 1.2 s of 5 s was open on the way there."""
        if not tel.gripper:
            return
        for g in gripper_states(caption, skip):
            if any(x.start < g.end and g.start < x.end for x in plan.findings):
                continue
            owner = next((c for c in claims if c.clause_start <= g.start < c.end), None)
            at = self._step_time(owner, f, free) if owner is not None else None
            if at is not None and owner is not None and owner.event in DURATIVE:
                at = (at + tel.t[-1]) / 2  # a push lasts: the gripper's state while it goes on
            sentence = re.split(r"[.!?;]\s", caption[: g.start])[-1]
            clause = re.split(r"[,]|\b(?:and then|then|and)\b", sentence)[-1]
            if at is None and re.search(r"\b(?:remains?|stays?|ends?|rests?)\b", clause, re.I):
                at = tel.t[-1]
            state = self._gripper_state(tel, at)
            if state is None or state == g.state:
                continue
            when = "for the whole clip" if at is None else f"at t={at:.1f}s"
            plan.findings.append(
                Finding(
                    g.start,
                    g.end,
                    "gripper_or_grasp",
                    f"the gripper is {state} {when}",
                    [round(at if at is not None else tel.t[-1], 2)],
                    Edit(g.word_start, g.word_end, state),
                )
            )

    def _check_retreats(
        self, caption: str, tel: Telemetry, plan: Plan, skip: list[tuple[int, int]]
    ) -> None:
        """'before retracting to its starting position', 'then moves away': the end effector
        must come back from where it is farthest from its start by RETREAT_M, and, to be back
        where it started, end within half that farthest distance of its start."""
        if not tel.ee_pos or len(tel.ee_pos) < 2:
            return
        e0 = tel.ee_pos[0]
        dists = [math.dist(p, e0) for p in tel.ee_pos]
        far = max(range(len(dists)), key=dists.__getitem__)
        back = dists[far] - dists[-1]
        for r in retreats(caption, skip):
            if any(
                (x.start < r.end and r.start < x.end)
                # "the button is released as the arm moves away": one finding's adjunct
                or (
                    x.end <= r.start
                    and re.fullmatch(
                        r"\s*(?:as|while|when)\s+(?:the\s+|its\s+)?(?:[\w-]+\s+){0,2}",
                        caption[x.end : r.start],
                        re.IGNORECASE,
                    )
                )
                for x in plan.findings
            ):
                continue
            home = dists[-1] <= 0.5 * dists[far]
            if back >= RETREAT_M and (home or not r.home):
                continue
            why = (
                f"the end effector ends {dists[-1] * 100:.0f} cm from where it starts"
                if back >= RETREAT_M
                else f"the end effector comes back only {back * 100:.0f} cm from "
                f"t={tel.t[far]:.1f}s to the end"
            )
            plan.findings.append(
                Finding(
                    r.start,
                    r.end,
                    "action",
                    why,
                    [round(tel.t[-1], 2)],
                    _delete(caption, r.start, r.end),
                )
            )

    @staticmethod
    def _heading_words(f: Facts) -> str:
        """The way the object moves, in the words of its task: a window slides sideways, a
        drawer out or in, a button goes down."""
        heading = f.heading()
        if heading == "sideways":
            return {"drawer_open": "out", "drawer_close": "in"}.get(f.kind or "", "sideways")
        return heading or "nowhere"

    def _redirect(self, caption: str, c: Claim, f: Facts, heading: str | None) -> str:
        """A lift of an object that moves sideways or down, said the way it moves: 'lifts the
        window pane upward' -> 'slides the window pane sideways'."""
        verb = _form_word(c, "slide" if heading == "sideways" else "press")
        rest = caption[c.verb_end : c.end]
        way = self._heading_words(f)
        if re.search(r"\b(?:upwards?|up)\b", rest, re.I):
            rest = re.sub(r"\b(?:upwards?|up)\b", way, rest, count=1, flags=re.I)
        elif heading == "down":
            rest += " down"
        return verb + rest

    def _check_directions(
        self, caption: str, f: Facts, plan: Plan, skip: list[tuple[int, int]]
    ) -> None:
        """A step said to move a drawer, window or button up or down against the way the
        telemetry moves it (the object's displacement): 'pushes the window pane upward' (it
        slides sideways), 'pulls the button upward' (it goes down). Only where the object
        moves along one line; a carried or pushed puck's path says nothing of this kind."""
        heading = f.heading()
        if heading is None:
            return
        way = self._heading_words(f)
        for d in directions(caption, skip):
            if d.direction in ("in", "out"):
                # a drawer moves out or in, by its task; "in"/"out" says nothing of a window
                wrong = way in ("in", "out") and d.direction != way
            else:
                wrong = d.direction != heading
            if not wrong or any(
                x.start < d.dir_end and d.verb_start < x.end for x in plan.findings
            ):
                continue
            word = caption[d.dir_start : d.dir_end]
            new_word = way if heading == "sideways" else heading
            if d.direction in ("in", "out"):
                new_word = way + ("ward" if word.lower().endswith("ward") else "")
            if word.lower().endswith("ward") and new_word in ("up", "down"):
                new_word += "ward"
            verb = caption[d.verb_start : d.verb_end]
            # the verb says the wrong way by itself ("lifts", "pulls" a button): it changes too
            turn = d.lemma in RAISING or (d.lemma == "pull" and heading == "down")
            if turn:
                form = next(
                    (x for x in ("3sg", "ing", "ed") if inflect(d.lemma, x) == verb.lower()),
                    "base",
                )
                new_verb = inflect("slide" if heading == "sideways" else "push", form)
                edit = Edit(
                    d.verb_start,
                    d.dir_end,
                    new_verb + caption[d.verb_end : d.dir_start] + new_word,
                )
                start = d.verb_start
            else:
                edit = Edit(d.dir_start, d.dir_end, new_word)
                start = d.dir_start
            plan.findings.append(
                Finding(
                    start,
                    d.dir_end,
                    "direction_or_spatial",
                    f"the object moves {way}",
                    [round(f.move_t or 0, 2)],
                    edit,
                )
            )

    @staticmethod
    def _gripper_state(tel: Telemetry, at: float | None) -> str | None:
        """'open' or 'closed' at a time; with no time, the state the gripper keeps from the
        first tenth of the clip to its end (None if it changes after that)."""
        assert tel.gripper is not None
        closed = [g < GRIPPER_CLOSED_BELOW for g in tel.gripper]
        if at is not None:
            i = min(range(len(tel.t)), key=lambda k: abs(tel.t[k] - at))
            return "closed" if closed[i] else "open"
        settled = [c for t, c in zip(tel.t, closed, strict=True) if t >= 0.1 * tel.t[-1]]
        if settled and all(settled):
            return "closed"
        if settled and not any(settled):
            return "open"
        return None

    # ------------------------------------------------------------ helpers

    @staticmethod
    def _step_time(c: Claim, f: Facts, free: bool) -> float | None:
        """When the telemetry shows the step a claim names (None: not timed). Holding is a
        state that lasts from the grasp to the release, not a step with a time of its own."""
        if c.negated or c.hedged or c.lemma == "hold":
            return None
        return {
            "grasp": f.grasp_t if free else f.closes_on_t,
            "lift": f.lift_t,
            "contact": f.reach_t,
            "gripper_close": f.close_t,
            "gripper_open": f.open_t,
            "release": f.open_t,
            "push": f.move_t,
            "open": f.move_t,
            "close": f.move_t,
            "press": f.move_t,
            "arrive": f.arrive_t,
        }.get(c.event)

    def _misordered(
        self, caption: str, claims: list[Claim], f: Facts, free: bool
    ) -> list[tuple[int, int, float, float, int, list[Edit]]]:
        """Two claims of one sentence whose steps the telemetry times the other way round from
        how the sentence orders them (by more than ORDER_SLACK_S): 'X and then Y', 'X before
        Y', 'Y after X', 'Having X, Y', 'Before Y, X'. Each as (the claim that happens first, the
        one said first, their times, where the span starts, ways to reword it)."""
        out: list[tuple[int, int, float, float, int, list[Edit]]] = []
        used: set[int] = set()
        for i in range(len(claims)):
            for j in range(i + 1, len(claims)):
                ci, cj = claims[i], claims[j]
                between = caption[ci.end : cj.start]
                if re.search(r"[.!?]|\b(?:while|as|until|when|or)\b", between, re.IGNORECASE):
                    continue
                if i in used or j in used or ci.event == cj.event:
                    continue
                if opposite_event(f.kind) in (ci.event, cj.event):
                    continue
                ti, tj = self._step_time(ci, f, free), self._step_time(cj, f, free)
                if ti is None or tj is None:
                    continue
                sentence = re.split(r"[.!?]\s+", caption[: ci.start])[-1]
                before_opener = re.fullmatch(r"\s*Before\s+", sentence)
                joint_after = re.search(r"\bafter\s*$", between, re.IGNORECASE)
                perfect = cj.participle and caption[cj.start :].lower().startswith("having")
                said_j_first = bool(joint_after or before_opener or perfect)
                # a lift follows its grasp by definition of both times: any lead is an error
                slack = 0.0 if {ci.event, cj.event} == {"grasp", "lift"} else ORDER_SLACK_S
                first, later = (j, i) if said_j_first else (i, j)
                t_first_said = tj if said_j_first else ti
                t_other = ti if said_j_first else tj
                if not t_first_said > t_other + slack:
                    continue
                edits: list[Edit] = []
                span_start = ci.start
                if joint_after:  # "lifts the puck after placing it" -> "... before placing it"
                    a = ci.end + joint_after.start()
                    edits.append(Edit(a, a + len("after"), "before"))
                elif before_opener:  # "Before lifting the puck, the arm places it" -> "After ..."
                    a = ci.start - len(sentence) + sentence.index("Before")
                    edits.append(Edit(a, a + len("Before"), "After"))
                    span_start = a
                elif joint_before := re.fullmatch(r"\s*(before)\s*", between, re.IGNORECASE):
                    # "lifts the puck before grasping it" -> "lifts the puck after grasping it"
                    a = ci.end + joint_before.start(1)
                    edits.append(Edit(a, a + len("before"), "after"))
                elif opener := re.fullmatch(r"\s*(After|Once)\s+", sentence):
                    # "After lifting the puck, the arm grasps it" -> "Before lifting ..."
                    a = ci.start - len(sentence) + opener.start(1)
                    edits.append(Edit(a, a + len(opener.group(1)), "Before"))
                    span_start = a
                elif ci.participle and re.match(r"having\b", caption[ci.start :], re.IGNORECASE):
                    # "Having lifted the puck, the arm grasps it" -> "Before lifting the puck, ..."
                    lead = "Before" if caption[ci.start].isupper() else "before"
                    edits.append(Edit(ci.start, ci.verb_end, f"{lead} {inflect(ci.lemma, 'ing')}"))
                elif j == i + 1 and (
                    re.fullmatch(SIMPLE_JOINT, between, re.IGNORECASE)
                    or re.fullmatch(LONGER_JOINT, between, re.IGNORECASE)
                ):
                    edits = self._swap(caption, ci, cj)
                t_a, t_b = (tj, ti) if said_j_first else (ti, tj)
                out.append((later, first, t_b, t_a, span_start, edits))
                used.update((i, j))
        return out

    @staticmethod
    def _swap(caption: str, ci: Claim, cj: Claim) -> list[Edit]:
        """The two steps in the telemetry's order, each keeping its words: 'raises the red puck
        and then grasps it' -> 'grasps the red puck and then raises it'."""
        between = caption[ci.end : cj.start]
        ti, tj = caption[ci.start : ci.end], caption[cj.start : cj.end]
        same_form = ci.form == cj.form and not (ci.participle or cj.participle)
        if not same_form or ci.passive or cj.passive:
            return []
        noun = ci.obj if ci.obj and ci.obj.lower() not in ("it", "them") else None
        if noun and not GRIPPER_WORD.search(noun) and re.search(r"\bit\b", tj):
            last_it = list(re.finditer(r"\bit\b", tj))[-1]
            tj = tj[: last_it.start()] + noun + tj[last_it.end() :]
            ti = ti.replace(noun, "it", 1)
        return [Edit(ci.start, cj.end, tj + between + ti)]

    @staticmethod
    def _telemetry_note(f: Facts) -> str:
        """What the drafter saw in the telemetry, in the words of the task's kind."""
        said = []
        if f.success is not None:
            said.append(f"the task {'succeeds' if f.success else 'fails'}")
        if f.kind in FREE_OBJECT_TASKS or (f.kind is None and f.has_object):
            if f.grasp_t is not None:
                said.append(f"grasp at {f.grasp_t:.1f}s")
            if f.lift_t is not None:
                said.append(f"lift at {f.lift_t:.1f}s")
            if f.release_t is not None:
                said.append(f"the gripper opens at {f.release_t:.1f}s")
        elif f.has_gripper:
            if f.close_t is None:
                said.append("the gripper stays open")
            elif f.closes_on_t is None:
                said.append(f"the gripper is closed from {f.close_t:.1f}s, before any contact")
        if f.reach_t is not None:
            said.append(f"contact at {f.reach_t:.1f}s")
        if f.reached is False:
            said.append("the arm never comes near the object")
        if f.moved is False:
            said.append("the object never moves")
        return ("Telemetry: " + "; ".join(said) + ".") if said else "Telemetry: no outcome."

    @staticmethod
    def _no_grasp_why(f: Facts, free: bool) -> str:
        if free:
            return "the gripper never closes on the object" + (
                " while it rises" if f.kind == "pick_place" else ""
            )
        if f.close_t is None:
            return "the gripper stays open for the whole clip: it does not grasp"
        gap = f" {f.close_gap_m * 100:.0f} cm from the object" if f.close_gap_m else ""
        return (
            f"the gripper is already closed at t={f.close_t:.1f}s,{gap} before it touches "
            "anything: it pushes, it does not grasp"
        )

    @staticmethod
    def _covered(plan: Plan, s: Statement) -> bool:
        return any(x.start < s.end and s.start < x.end for x in plan.findings)

    @staticmethod
    def _whole_sentence(caption: str, s: Statement) -> bool:
        before = caption[: s.start]
        return (not before.strip() or bool(re.search(r"[.!?]\s*$", before))) and bool(
            re.match(r"\s*(?:[.!?]|$)", caption[s.end :])
        )

    @staticmethod
    def _unfail(caption: str, s: Statement, kind: str | None = None) -> list[Edit]:
        """A stated failure on a successful episode: 'the task is not completed' loses its
        'not'; an object said to be put back where it started is taken to the target instead
        ('lowers the puck back onto its starting position' -> 'carries the puck to the
        target'), and what the statement adds after that goes; any other failure statement
        goes."""
        text = caption[s.start : s.end]
        cut = _delete(caption, s.start, s.end)
        lead = ROBOT_SUBJECT_ONLY.search(caption[: s.start])
        if lead and re.match(r"\s*(?:[.!?]|$)", caption[s.end :]):
            # "The robot does not succeed." goes whole, never "The robot."
            cut = _delete(caption, lead.start(1), s.end)
        back = RETURNED.search(caption, s.start, s.end) if s.cause == "return" else None
        if back is not None and back.group("verb"):
            word = back.group("verb").lower()
            form = "ing" if word.endswith("ing") else "3sg"
            verb = inflect("push" if kind == "push" else "carry", form)
            goal = _goal_word(caption)
            return [Edit(back.start(), s.end, f"{verb} {back.group('obj')} to the {goal}"), cut]
        m = re.search(
            r"\b(?:task|push|press|attempt|it) (?:is|was) (not|never)\s+", text, re.IGNORECASE
        )
        if s.cause == "negated_task" and m:
            a = s.start + m.start(1)
            return [Edit(a, s.start + m.end(), ""), cut]
        m = re.search(r"\b(?:in(?=complete)|un(?=finished|successful))", text, re.IGNORECASE)
        if s.cause == "negated_task" and m:  # "the task remains incomplete" -> "... complete"
            return [Edit(s.start + m.start(), s.start + m.end(), ""), cut]
        return [cut]

    @staticmethod
    def _toward(caption: str, c0: Claim, c1: Claim) -> Edit:
        """A hedged success claim on a failed episode whose failure the caption states: the
        attempt becomes the approach ('seems to be trying to close it' -> 'moves toward it'),
        or goes when the clause before already says so."""
        before = caption[c0.clause_start - 40 if c0.clause_start > 40 else 0 : c0.start]
        if re.search(APPROACH_SAID, before) and not re.search(r"[.;]", before):
            return _delete(caption, c0.start, c1.end)
        return Edit(c0.start, c1.end, f"{_form_word(c0, 'move')} toward {c0.obj or 'it'}")

    @staticmethod
    def _insert_at_end(caption: str, text: str) -> Edit:
        m = re.search(r"\s*[.!]?\s*$", caption)
        pos = m.start() if m else len(caption)
        return Edit(pos, pos, text)

    @staticmethod
    def _drop_grasp(
        caption: str, claims: list[Claim], i: int, antecedent: dict[int, str], f: Facts
    ) -> list[Edit]:
        """Ways to remove a grasp that did not happen, best first: on a drawer, window or button
        the grasp becomes the contact the arm makes instead ('grabs the handle' -> 'hooks the
        handle'); otherwise the clause goes and the next clause's 'it' gets the grasp's noun."""
        c = claims[i]
        options: list[Edit] = []
        contact = CONTACT_VERB.get(f.kind or "")
        if f.reached is False and f.kind not in FREE_OBJECT_TASKS:
            contact = None
        if contact is not None:
            verb = _form_word(c, "reach" if f.success is False else contact)
            m = re.match(
                r"(?:\s+(?:its|the)\s+(?:gripper|fingers|claw|jaws))?(?:\s+(?:firmly|tightly))?"
                r"\s+(?:on|around|onto|over)\b",
                caption[c.verb_end :],
            )
            cut = c.verb_end + m.end() if m and c.lemma in ("close", "shut") else c.verb_end
            options.append(Edit(c.start, cut, verb))
        after, joint = _joint_after(caption, c.end)
        nxt = claims[i + 1] if i + 1 < len(claims) else None
        if joint and nxt is not None and nxt.start == after:
            if c.obj and c.obj.lower() != "it":
                antecedent[i + 1] = c.obj
                if nxt.obj == "it":
                    m2 = re.compile(r"\bit\b").search(caption, nxt.verb_end, nxt.end)
                    if m2:
                        options.append(Edit(c.start, m2.end(), caption[after : m2.start()] + c.obj))
            options.append(Edit(c.start, after, ""))
        elif nxt is None and not _joint_before(caption, c.start)[1]:
            options.append(Edit(c.start, c.end, f"{_form_word(c, 'move')} toward {c.obj or 'it'}"))
        options.append(_delete(caption, c.start, c.end))
        return options

    @staticmethod
    def _fail_edit(caption: str, c0: Claim, c1: Claim, f: Facts, antecedent: str | None) -> Edit:
        """The claimed success replaced by what happened (the failure itself is said by a
        separate insert, so that it can be made or not on its own)."""
        goal = _goal_word(caption)
        b, joint = _joint_before(caption, c0.start)
        start = b if _jw(joint) == "and" else c0.start
        # "..., and the window slides open": the claim has its own subject, so no "but" before it
        lead = " but " if joint and start == b else ""
        if f.kind == "pick_place" and f.grasp_t is not None:
            verb = "drops it before" if f.release_t is not None else "does not place it at"
            if c1.passive:  # "the puck is picked up and placed ...": the object is the subject
                verb = "falls before" if f.release_t is not None else "does not reach"
                return Edit(start, _past_agent(caption, c1.end), f"{lead}{verb} the {goal}")
            if c1.form == "ing" and c1.hedge is None:
                verb = verb.replace("drops", "dropping").replace(
                    "does not place", "without placing"
                )
            return Edit(start, c1.end, f"{lead}{verb} the {goal}")
        if c1.passive:
            return Edit(c0.start, c1.end, _negate(caption, c1))
        obj = c0.obj if c0 is not c1 or f.reached is False else None
        obj = obj if obj and obj.lower() != "it" else (antecedent or obj)
        rest = MANNER.sub("", _rest(caption, c1)).strip()
        if c1.lemma == "reach" and c1.event == "arrive":  # "the puck reaches the target"
            return Edit(c0.start, c1.end, f"does not reach the {goal}")
        if c1.event == "arrive":
            rest = re.sub(r"\s+(?:across|along|over|all the way)\b.*", "", rest)
            rest = re.sub(r"\s+(?:to|onto|on|at|into|in)\s+the\s+.*", "", rest)
            rest = re.sub(r"\s+until\b.*", "", rest)
            if c1.lemma in ("carry", "bring", "move", "take", "transport"):
                rest = f"{rest} to the {goal}".strip()
        else:
            rest = re.sub(r"\s+(?:until|beside|next to|near|behind)\b.*", "", rest)
        ing = c1.form == "ing" and c1.hedge is None
        if ing:
            negated = f"without {inflect(c1.lemma, 'ing')} {rest}".strip()
        else:
            negated = f"does not {c1.lemma} {rest}".strip()
        sentence = re.split(r"[.!?;]\s", caption[:start])[-1]
        if obj and re.search(APPROACH_SAID, sentence):
            obj = None  # "moves towards the puck and pushes it ..." already says the approach
            if start != b and joint:
                start, lead = b, " but "
        if obj and (c0 is not c1 or f.reached is False):
            if c1.obj and obj.lower() == c1.obj.lower():
                negated = negated.replace(obj, "it", 1)
            new = f"{_form_word(c0, 'move')} toward {obj} but {negated}"
            if c0.form == "ing" and c0.hedge is None:
                new = f"moving toward {obj} but {negated}"
        else:
            new = negated
            if start == b:
                return Edit(start, c1.end, f"{lead}{negated}")
        return Edit(c0.start, c1.end, new)


NEVER_NEAR = "the arm never comes near the object"
RETREAT_M = 0.03  # an arm said to move back or away comes back at least this far by the end
VERTICAL_SHARE = 0.5  # an object whose rise or fall is under half its displacement moves sideways
# where a step ends at the target: "onto the blue target", "at the goal"
TARGET_PHRASE = re.compile(
    r"\b(?:to|onto|on|at|into|in|over|on top of)\s+(?P<np>(?:the|its)\s+(?:[\w-]+\s+)?"
    r"(?:target|goal)(?:\s+(?:marker|zone|area|location|spot|region))?)\b",
    re.IGNORECASE,
)
# steps that last from when the object starts to move to the end of the clip
DURATIVE = {"push", "open", "close", "press", "arrive"}
# the surface a pushed object slides along: what a carried one never touches on its way
SURFACE = re.compile(
    r"\s+(?:flat\s+)?(?:along|across|over)\s+(?:the\s+)?(?:table(?:top)?|surface|table surface|"
    r"floor)\b(?:\s+surface)?",
    re.IGNORECASE,
)
ORDER_SLACK_S = 0.2  # steps closer in time than this are not told apart
# joints that say one step follows the other in more words: the steps swap, the words stay
LONGER_JOINT = (
    r"\s*(?:,\s*|;\s*)?(?:and\s+)?(?:only then|afterwards?|subsequently|later|after that|"
    r"after which|it then|then it|following that)(?:\s+it)?\s*,?\s*"
)
SIMPLE_JOINT = r"\s*,?\s*(?:and then|and|then|before|, then)?\s*(?:first\s+|then\s+|finally\s+)?"
SETTLED_M = 0.01  # an object this close to where it ends has arrived
# a lift said as more than the 1-3 cm a pushed puck rises in the closed gripper
HIGH_LIFT = re.compile(
    r"\b(?:high|higher|into the air|in the air|mid-air|well above|far above|above the table|"
    r"up and away|to the target|over the table)\b",
    re.IGNORECASE,
)
GRIPPER_WORD = re.compile(r"\b(?:gripper|fingers|claw|jaws)\b", re.IGNORECASE)
STEP_NAME = {
    "grasp": "the grasp",
    "lift": "the lift",
    "contact": "the contact",
    "gripper_close": "the gripper closing",
    "gripper_open": "the gripper opening",
    "release": "the release",
    "push": "the object moving",
    "open": "the object moving",
    "close": "the object moving",
    "press": "the object moving",
    "arrive": "the arrival",
}
APPROACH_SAID = re.compile(
    r"\b(?:moves?|moving|heads?|extends?|lowers?|reaches?) (?:\w+ )?(?:toward|towards)\b|"
    r"\bapproach(?:es|ing)?\b|\bextends? to\b",
    re.IGNORECASE,
)


def _word_count(text: str) -> int:
    return len(_WORD.findall(text))


def _cut(text: str, start: int, end: int) -> str:
    """`text` without [start, end) and the comma or space right after it ("In this video, the
    arm ..." -> "the arm ...")."""
    m = re.match(r"\s*,?\s*", text[end:])
    return text[:start] + text[end + (m.end() if m else 0) :]


def _keep_case(found: str, word: str) -> str:
    return word[:1].upper() + word[1:] if found[:1].isupper() else word


def _replace_forms(text: str, forms: dict[str, str]) -> str:
    """Every word `forms` lists replaced by its form (the tense rule's table), case kept."""

    def word(m: re.Match[str]) -> str:
        w = m.group(0)
        return _keep_case(w, forms[w.lower()]) if w.lower() in forms else w

    return re.sub(r"[A-Za-z]+", word, text)


def past_tense(text: str, forms: dict[str, str]) -> str:
    """Present-tense verbs put in the past: those the guideline's table lists (picks ->
    picked, is -> was), and the claim verbs in their third-person form (lemminflect)."""

    def word(m: re.Match[str]) -> str:
        w = m.group(0)
        low = w.lower()
        if low in forms:
            return _keep_case(w, forms[low])
        if low in PRESENT_AUX:
            return _keep_case(w, PRESENT_AUX[low])
        entry = LEXICON.get(low)
        if entry is not None and entry[1] == "3sg":
            return _keep_case(w, inflect(entry[0], "past"))
        return w

    return re.sub(r"[A-Za-z]+", word, text)


# the auxiliaries a drafter's clause uses, when a guideline's table does not list them
PRESENT_AUX = {"is": "was", "are": "were", "does": "did", "has": "had"}


def tidy(text: str) -> str:
    out = re.sub(r"\s{2,}", " ", text)
    out = re.sub(r"\s+([,.;])", r"\1", out)
    out = re.sub(r",\s*,", ",", out)
    out = re.sub(r",\s*([.;])", r"\1", out)
    out = re.sub(r";\s*\.", ".", out)
    out = re.sub(r"\.\s*\.", ".", out)
    out = re.sub(r"\b(but|and)\s+(but|and)\b", r"\1", out)
    out = out.strip()
    out = re.sub(r"^[,;]\s*", "", out)
    out = re.sub(r"[,;]\s*$", ".", out)
    out = re.sub(r"(^|[.!?]\s+)([a-z])", lambda m: m.group(1) + m.group(2).upper(), out)
    return out


__all__ = ["OfflineDrafter", "Statement", "outcome_stated", "rewrite_problems"]

# Distinct in its first 12 characters (run names use hash[:12]) from "offline-rules-1", so a
# store with runs of the old rules starts a new run instead of refusing a version mismatch.
RULES_VERSION = "offline-r4"
