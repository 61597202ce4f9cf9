"""The Draft contract: what the agent returns for one clip, and what store, UI and evals consume.

Validators double as instructions to the model. When a draft breaks a rule, the error message
says what to fix, and instructor sends it back to the model as a re-ask. Rules that need the
clip (the caption, its duration) read them from pydantic's validation context:
``Draft.model_validate(data, context={"caption": ..., "duration": ...})``. Without a context
(loading a stored draft) those rules are skipped and the self-contained ones still apply.
The offline drafter validates with ``"drafter": "offline"`` in the context, which is what lets
its drafts name findings whose wording is left to the reviewer (`Draft.left_to_reviewer`).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator
from pydantic.json_schema import SkipJsonSchema

from agent.cost import Price, cost_usd


class HallucinationType(StrEnum):
    OBJECT = "object"
    ATTRIBUTE = "attribute"
    ACTION = "action"
    DIRECTION_OR_SPATIAL = "direction_or_spatial"
    COUNT = "count"
    ORDER = "order"
    OUTCOME = "outcome"
    GRIPPER_OR_GRASP = "gripper_or_grasp"
    EMBODIMENT = "embodiment"
    SPECULATION = "speculation"
    OTHER = "other"


HALLUCINATION_TYPES: dict[HallucinationType, str] = {
    HallucinationType.OBJECT: "names an object that is not there, or the wrong object",
    HallucinationType.ATTRIBUTE: "wrong colour, size, shape, material or state of an object",
    HallucinationType.ACTION: "an arm motion or manipulation that did not happen as described",
    HallucinationType.DIRECTION_OR_SPATIAL: "wrong direction or relation: left/right, up/down, "
    "near/far, on/in/behind",
    HallucinationType.COUNT: "wrong number of objects or repetitions",
    HallucinationType.ORDER: "steps in an order the video contradicts",
    HallucinationType.OUTCOME: "claims success that was a failure, or failure that was a success",
    HallucinationType.GRIPPER_OR_GRASP: "a grasp, release or gripper state that did not happen",
    HallucinationType.EMBODIMENT: "wrong robot, arm, end effector or a human where there is none",
    HallucinationType.SPECULATION: "intent, feelings or causes the video cannot show",
    HallucinationType.OTHER: "any other claim the video contradicts",
}


class OmissionType(StrEnum):
    STEP = "step"
    OBJECT = "object"
    OUTCOME = "outcome"
    DETAIL = "detail"
    OTHER = "other"


OMISSION_TYPES: dict[OmissionType, str] = {
    OmissionType.STEP: "an action the robot performed that the caption leaves out",
    OmissionType.OBJECT: "an object the robot handled or that matters to the task, not mentioned",
    OmissionType.OUTCOME: "whether the task succeeded or failed, when the caption does not say",
    OmissionType.DETAIL: "a precise detail of arm or gripper motion the guidelines ask for",
    OmissionType.OTHER: "anything else a reviewer would add",
}


class Verdict(StrEnum):
    ACCURATE = "accurate"
    NEEDS_EDIT = "needs_edit"


def _enum_value(kind: type[StrEnum], value: Any) -> Any:
    """A model's enum value as the contract spells it: "Attribute", "NEEDS_EDIT" or "needs
    edit" are the same value in another case; anything that is no value is left to fail."""
    if isinstance(value, str) and not isinstance(value, kind):
        key = "_".join(value.strip().lower().replace("-", " ").split())
        if key in kind._value2member_map_:
            return kind(key)
    return value


def _check_times(times: list[float], info: ValidationInfo) -> list[float]:
    duration = (info.context or {}).get("duration")
    for t in times:
        if t < 0:
            raise ValueError(f"evidence time {t} is negative; use seconds from the clip start")
        if duration is not None and t > float(duration) + 0.05:
            raise ValueError(
                f"evidence time {t} s is outside the clip, which lasts {float(duration):.2f} s; "
                f"use a time between 0 and {float(duration):.2f} where the evidence is visible"
            )
    return sorted(times)


def _norm(text: str) -> str:
    return " ".join(text.split())


def span_occurrences(span: str, text: str) -> int:
    """How often `span` appears in `text` as whole words, ignoring case."""
    if not span.strip():
        return 0
    pattern = r"(?<!\w)" + re.escape(_norm(span)).replace(r"\ ", r"\s+") + r"(?!\w)"
    return len(re.findall(pattern, text, flags=re.IGNORECASE))


class HallucinationLabel(BaseModel):
    """A wrong span of a caption as a gold label carries it: the words and their type. The
    explanation and evidence times are optional here; a model's `Hallucination` requires one."""

    span: str = Field(
        description="The exact words of the original caption that are wrong, copied character "
        "for character (shortest span that contains the error)."
    )
    type: HallucinationType = Field(description="What kind of error the span is.")
    explanation: str | None = Field(
        default=None, description="What the video shows instead, in one sentence."
    )
    evidence_times: list[float] = Field(
        default_factory=list,
        description="Seconds from the clip start where the video shows the contradiction.",
    )

    @field_validator("type", mode="before")
    @classmethod
    def _type_case(cls, v: Any) -> Any:
        return _enum_value(HallucinationType, v)

    @field_validator("span")
    @classmethod
    def _span_in_caption(cls, v: str, info: ValidationInfo) -> str:
        v = v.strip()
        if not v:
            raise ValueError("span is empty; copy the wrong words from the original caption")
        caption = (info.context or {}).get("caption")
        if caption is not None and v not in caption:
            raise ValueError(
                f"span {v!r} is not an exact substring of the original caption; copy the "
                "wrong words exactly as they appear"
            )
        return v

    @field_validator("evidence_times")
    @classmethod
    def _times_in_clip(cls, v: list[float], info: ValidationInfo) -> list[float]:
        return _check_times(v, info)

    def locate(self, caption: str) -> tuple[int, int] | None:
        """Character offsets of the span in the caption, for highlighting and matching."""
        start = caption.find(self.span)
        return None if start < 0 else (start, start + len(self.span))


class Hallucination(HallucinationLabel):
    """A claim in the original caption that the clip does not support."""

    explanation: str = Field(  # type: ignore[assignment]
        description="What the video shows instead, in one sentence.", min_length=1
    )


class OmissionLabel(BaseModel):
    """Something the caption leaves out, as a gold label carries it: what and its type."""

    description: str = Field(description="What is missing, as it should be said.", min_length=1)
    type: OmissionType = Field(description="What kind of omission it is.")
    evidence_times: list[float] = Field(
        default_factory=list,
        description="Seconds from the clip start where the video shows it.",
    )

    @field_validator("type", mode="before")
    @classmethod
    def _type_case(cls, v: Any) -> Any:
        return _enum_value(OmissionType, v)

    @field_validator("evidence_times")
    @classmethod
    def _times_in_clip(cls, v: list[float], info: ValidationInfo) -> list[float]:
        return _check_times(v, info)


class Omission(OmissionLabel):
    """Something the robot did (or an outcome) that the caption leaves out."""


class GoldLabels(BaseModel):
    """What a gold set says about a clip: the right caption and the findings it expects. Kept
    with the clip by ingest; read by the eval harness."""

    caption: str | None = None
    hallucinations: list[HallucinationLabel] = Field(default_factory=list)
    omissions: list[OmissionLabel] = Field(default_factory=list)


class Draft(BaseModel):
    """The structured review of one caption: findings first, then the proposed rewrite."""

    observations: str | None = Field(
        default=None,
        description="What the frames and telemetry show, step by step with times, written "
        "before judging the caption.",
    )
    hallucinations: list[Hallucination] = Field(
        default_factory=list, description="Claims in the caption the clip contradicts."
    )
    omissions: list[Omission] = Field(
        default_factory=list, description="What the caption leaves out that the clip shows."
    )
    rewrite: str = Field(
        description="The corrected caption following the guidelines. Equal to the original "
        "caption when the verdict is accurate.",
        min_length=1,
    )
    verdict: Verdict = Field(
        description="accurate when nothing needs changing, otherwise needs_edit."
    )
    # Offline drafts only, and not in the schema a model is shown: the model must correct every
    # flagged span. The offline drafter keeps a flagged span when its own rewording of that part
    # failed its rewrite check, and says so here.
    left_to_reviewer: SkipJsonSchema[list[str]] = Field(
        default_factory=list,
        description="Flagged spans the rewrite keeps as written because the offline drafter "
        "could not reword them safely; the reviewer words them.",
    )

    @field_validator("verdict", mode="before")
    @classmethod
    def _verdict_case(cls, v: Any) -> Any:
        return _enum_value(Verdict, v)

    @field_validator("rewrite")
    @classmethod
    def _rewrite_not_blank(cls, v: str) -> str:
        v = v.strip()
        if not v:
            raise ValueError("rewrite is empty; write the full corrected caption")
        return v

    @model_validator(mode="after")
    def _consistent(self, info: ValidationInfo) -> Draft:
        problems: list[str] = []
        caption = (info.context or {}).get("caption")
        offline = (info.context or {}).get("drafter") == "offline"
        flagged = {h.span for h in self.hallucinations}
        if self.left_to_reviewer and caption is not None and not offline:
            problems.append(
                "left_to_reviewer is only for the offline drafter; leave it empty and correct "
                "every flagged span in the rewrite"
            )
        problems += [
            f"left_to_reviewer names {s!r}, which is not a flagged span"
            for s in self.left_to_reviewer
            if s not in flagged
        ]
        if caption is not None:
            for h in self.hallucinations:
                if offline and h.span in self.left_to_reviewer:
                    continue
                if span_occurrences(h.span, self.rewrite) >= max(
                    1, span_occurrences(h.span, caption)
                ):
                    problems.append(
                        f"the rewrite still contains the flagged span {h.span!r} unchanged; "
                        "correct it in the rewrite, or make the span more specific if the same "
                        "words are correct elsewhere"
                    )
        # the guideline's error-severity rules, when the caller checks them (the model drafter
        # passes `rewrite_rules`: the rewrite's text in, a message per broken rule out)
        rewrite_rules = (info.context or {}).get("rewrite_rules")
        if rewrite_rules is not None and caption is not None and not offline:
            problems += list(rewrite_rules(self.rewrite))
        has_findings = bool(self.hallucinations or self.omissions)
        if self.verdict is Verdict.ACCURATE and has_findings:
            problems.append(
                "verdict is 'accurate' but there are findings; use 'needs_edit' or remove them"
            )
        if (
            caption is not None
            and self.verdict is Verdict.ACCURATE
            and _norm(self.rewrite) != _norm(caption)
        ):
            problems.append(
                "verdict is 'accurate' but the rewrite differs from the original caption; "
                "use 'needs_edit' or return the caption unchanged"
            )
        if (
            caption is not None
            and self.verdict is Verdict.NEEDS_EDIT
            and not has_findings
            and _norm(self.rewrite) == _norm(caption)
        ):
            problems.append(
                "verdict is 'needs_edit' but there are no findings and the rewrite is unchanged; "
                "use 'accurate' or list what is wrong"
            )
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def needs_edit(self) -> bool:
        return self.verdict is Verdict.NEEDS_EDIT


class StatedDraft(Draft):
    """The answer asked for by a prompt whose folder asks for the model's own confidence
    (`[draft] stated_confidence = true` in its prompt.toml): a Draft and that number, validated
    like any field (out of [0, 1] is re-asked). The drafter keeps the two apart (`as_draft`,
    `DraftResult.stated_confidence`), so everything downstream still reads a `Draft`."""

    confidence: float = Field(
        ge=0.0,
        le=1.0,
        description="Your confidence, from 0 to 1, that this review is exactly right: every "
        "flagged span and listed omission is correct, nothing wrong is missed, and a careful "
        "reviewer would accept the rewrite unchanged. 0.9 means you expect to be wrong about "
        "one review in ten like this one.",
    )

    def as_draft(self) -> Draft:
        """The draft without the confidence (already validated: not checked again)."""
        return Draft.model_construct(
            self.model_fields_set & set(Draft.model_fields),
            **{name: getattr(self, name) for name in Draft.model_fields},
        )


class Usage(BaseModel):
    """Tokens billed for one draft, summed over every attempt."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    cached_tokens: int = 0

    def cost(self, price: Price | None, discount: float = 1.0) -> float | None:
        """US dollars for these tokens (cached input at its own rate), None without a price."""
        full = cost_usd(self.prompt_tokens, self.completion_tokens, price, self.cached_tokens)
        return None if full is None else full * discount

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
            total_tokens=self.total_tokens + other.total_tokens,
            cached_tokens=self.cached_tokens + other.cached_tokens,
        )


def prompt_version(name: str | None, digest: str | None) -> str | None:
    """How a prompt version is written everywhere: `name@` and the hash's first 12 characters."""
    if name is None:
        return None
    return f"{name}@{(digest or '')[:12]}"


class PromptRef(BaseModel):
    """A prompt version: its name plus a hash of its template files."""

    name: str
    hash: str

    @property
    def version(self) -> str:
        return f"{prompt_version(self.name, self.hash)}"


class Sample(BaseModel):
    """One of K independent drafts of a clip (`recap draft --samples K`): the draft it gave, or
    why it failed (a bad answer, a server error), as a failed draft's error row says it."""

    draft: Draft | None = None
    error: str | None = None


class DraftResult(BaseModel):
    """A draft with its provenance: the model's `Draft` for one clip, who made it and at what
    cost. The store keeps it as a `DraftRecord`."""

    model_config = ConfigDict(protected_namespaces=())

    clip: str = Field(description="Clip id or video path.")
    caption: str = Field(description="The original caption under review.")
    draft: Draft
    drafter: Literal["llm", "offline"] = "llm"
    model: str | None = None
    prompt: PromptRef | None = None
    usage: Usage = Field(default_factory=Usage)
    latency_s: float = 0.0
    attempts: int = Field(
        default=1, description="HTTP requests made, retries and re-asks included."
    )
    reasks: int = Field(default=0, description="Times the model was asked to fix invalid output.")
    retries: int = Field(default=0, description="Transport retries (429, 5xx, timeouts).")
    image_tokens_estimate: int = 0
    mode: str | None = Field(
        default=None,
        description="The structured-output mode the answer came in (tools, json_schema, json, "
        "md_json); None for offline drafts and drafts made before it was recorded.",
    )
    cost_usd: float | None = Field(
        default=None,
        description="US dollars, computed once when the result is made (None: price unknown).",
    )
    raw_response: str | None = None
    stated_confidence: float | None = Field(
        default=None,
        ge=0.0,
        le=1.0,
        description="The model's own confidence in the draft, where the prompt asked for it "
        "(`StatedDraft`); None otherwise (the offline drafter never states one).",
    )
    settings: dict[str, Any] = Field(default_factory=dict)
    samples: list[Sample] = Field(
        default_factory=list,
        description="With K > 1 samples per clip: all K, in the order drawn (the kept draft, "
        "the majority's, among them); usage, cost and attempts above count all K requests. "
        "Empty for one sample.",
    )
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
