"""Rubric scoring on the review page, by keyboard: when the guideline in force has a [rubric],
the reviewer scores the caption under review on each dimension before deciding, and the scores
go with the decision (in its transaction, `ReviewSession.decide(scores=...)`).

Keys, beside the page's A/X/F/S/Z/N/P: a digit scores the marked dimension (the scale's score
whose last digit it is: 1-5 on a 1-5 scale, 0 for 10 on 1-10) and marks the next one; D marks
the next dimension; Backspace clears the marked one. They are Streamlit button shortcuts, so
they do nothing while the cursor is in the rewrite box. Each press only changes what this tab
holds for the clip (nothing is recorded until the decision); scores that no longer fit the
rubric when the decision is made refuse it, with the reason.
"""

from __future__ import annotations

import streamlit as st

from agent.guidelines import Rubric
from ui.markup import md

NEXT = "D"
CLEAR = "Backspace"


def key_for(score: int) -> str:
    """The digit key for a score: its last digit (a scale spans at most 10 scores)."""
    return str(score % 10)


def _scores_key(clip_id: str) -> str:
    return f"rubric-{clip_id}"


def _focus_key(clip_id: str) -> str:
    return f"rubric-focus-{clip_id}"


def scores_for(clip_id: str) -> dict[str, int]:
    """The scores this tab holds for a clip (dimension -> score), to go with its decision."""
    return dict(st.session_state.get(_scores_key(clip_id), {}))


def forget(clip_id: str) -> None:
    """Drop a clip's scores once its decision has them (an undo shows the clip unscored)."""
    st.session_state.pop(_scores_key(clip_id), None)
    st.session_state.pop(_focus_key(clip_id), None)


def _focus(clip_id: str, n: int) -> int:
    return int(st.session_state.get(_focus_key(clip_id), 0)) % n


def _score(clip_id: str, dimensions: tuple[str, ...], score: int) -> None:
    """A digit's on_click: score the marked dimension, then mark the next one."""
    at = _focus(clip_id, len(dimensions))
    st.session_state[_scores_key(clip_id)] = {**scores_for(clip_id), dimensions[at]: score}
    st.session_state[_focus_key(clip_id)] = (at + 1) % len(dimensions)


def _next(clip_id: str, n: int) -> None:
    st.session_state[_focus_key(clip_id)] = (_focus(clip_id, n) + 1) % n


def _clear(clip_id: str, dimensions: tuple[str, ...] | None) -> None:
    """Backspace: clear the scores of dimensions the rubric no longer has, if any, else the
    marked dimension's score (`dimensions` None: every score of the clip)."""
    if dimensions is None:
        forget(clip_id)
        return
    scores = scores_for(clip_id)
    stale = [name for name in scores if name not in dimensions]
    for name in stale or [dimensions[_focus(clip_id, len(dimensions))]]:
        scores.pop(name, None)
    st.session_state[_scores_key(clip_id)] = scores


def key_help(rubric: Rubric | None) -> str | None:
    """The rubric's keys for the page's key help (None: no rubric, no keys)."""
    if rubric is None:
        return None
    keys = f"{rubric.low}–{min(rubric.high, 9)}"
    keys += "".join(f", {key_for(s)} for {s}" for s in rubric.scale if s > 9)  # 0 for 10, ...
    return (
        f"**{keys}** score the marked rubric dimension · **{NEXT}** next dimension · "
        f"**{CLEAR}** clear its score"
    )


def scoring(clip_id: str, rubric: Rubric | None, version: str) -> None:
    """The rubric panel for the clip on screen: each dimension with its score so far, the
    marked one first in line for the next digit, and a button per score (its digit key)."""
    held = scores_for(clip_id)
    if rubric is None:
        if held:  # scored under a guideline that is no longer in force
            st.warning(
                f"Your rubric scores for {md(clip_id)} cannot be kept: the guideline in force "
                f"({md(version)}) has no rubric. Clear them to decide."
            )
            st.button(
                "Clear scores",
                shortcut=CLEAR,
                key=f"rubric-clear@{clip_id}",
                on_click=_clear,
                args=(clip_id, None),
            )
        return
    dimensions = tuple(d.name for d in rubric.dimensions)
    at = _focus(clip_id, len(dimensions))
    lines = []
    for i, d in enumerate(rubric.dimensions):
        score = held.get(d.name)
        mark = "▶" if i == at else "&nbsp;&nbsp;&nbsp;"
        shown = f"**{score}**" if score is not None else "–"
        lines.append(f"{mark} {md(d.name)}: {shown} <small>{md(d.description)}</small>")
    stale = {k: v for k, v in held.items() if rubric.dimension(k) is None}
    if stale:  # scored under an earlier version of the rubric
        lines.append(
            "Not in this rubric, so the decision is refused until they are cleared (Clear "
            "score): " + ", ".join(f"{md(k)} {md(v)}" for k, v in stale.items())
        )
    st.markdown(
        f"**Rubric** ({rubric.low}–{rubric.high}, {md(version)})  \n" + "  \n".join(lines),
        unsafe_allow_html=True,
    )
    focused = rubric.dimensions[at]
    cols = st.columns(len(rubric.scale))
    for col, s in zip(cols, rubric.scale, strict=True):
        col.button(
            str(s),
            shortcut=key_for(s),
            key=f"rubric-{s}@{clip_id}",
            help=md(focused.levels.get(s) or f"{focused.name}: {s}"),
            width="stretch",
            on_click=_score,
            args=(clip_id, dimensions, s),
        )
    moves = st.columns(2)
    moves[0].button(
        "Next dimension",
        shortcut=NEXT,
        key=f"rubric-next@{clip_id}",
        help="Mark the next rubric dimension.",
        width="stretch",
        on_click=_next,
        args=(clip_id, len(dimensions)),
    )
    moves[1].button(
        "Clear score",
        shortcut=CLEAR,
        key=f"rubric-clear@{clip_id}",
        help="Clear the marked dimension's score.",
        width="stretch",
        on_click=_clear,
        args=(clip_id, dimensions),
    )


# --- the lead page: one clip's rubric among several on screen ------------------------------------
def choose(prefix: str, rubric: Rubric | None, version: str) -> None:
    """A lead's rubric for one clip or decision on the lead page, where several are on screen
    at once (so no digit keys): a row of radio buttons per dimension, none chosen at first; Tab
    reaches each row and the arrow keys pick a score. `chosen(prefix)` reads them back."""
    if rubric is None:
        return
    st.caption(f"Rubric ({rubric.low}–{rubric.high}, {md(version)}): optional")
    names = []
    for d in rubric.dimensions:
        key = f"{prefix}/{len(names)}"
        names.append((key, d.name))
        st.radio(
            md(d.name),
            list(rubric.scale),
            index=None,
            horizontal=True,
            key=key,
            help=md(d.description),
            format_func=lambda s, d=d: f"{s} ({md(d.levels[s])})" if s in d.levels else str(s),
        )
    st.session_state[f"{prefix}/dimensions"] = names


def chosen(prefix: str) -> dict[str, int]:
    """The scores picked with `choose(prefix, ...)` when it was last drawn (dimension -> score)."""
    names = st.session_state.get(f"{prefix}/dimensions", [])
    return {
        name: st.session_state[key] for key, name in names if st.session_state.get(key) is not None
    }
