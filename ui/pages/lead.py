"""A lead's review, for leads and admins: settle the clips two reviewers disagreed on, look at a
reviewer's recent decisions (or the rejected, slow, or gold-missing ones), watching each clip,
then approve it or send it back with a comment; and reopen or resettle a final clip, with a
reason.

Thin: the rules are in agent/review/_lead.py; every approval, send-back, settlement and
reopening is an append-only row. A lead is never offered their own decisions to judge, nor a
clip they took part in to settle or reopen. Each button names the clip (or decision) and the
state it was drawn for; what it asks is carried out after the sign-in gate, on that state only.
Captions, comments, names and ids are shown as text, never as Markdown or HTML (ui/markup.py).
With a guideline rubric in force (ui/guideline_panel.py), a settlement and a verdict can carry
the lead's rubric scores (ui/rubric.py).
"""

from __future__ import annotations

import streamlit as st

from agent.decisions import FINAL_STATUSES, Decision, Status, participants
from agent.errors import RecapError
from agent.media import inside_root, play_window, playable
from agent.review import FILTERS, ROLES, disputes, judge, reopen, sample, settle
from agent.settings import Settings
from agent.store import Review, Store
from ui import rubric
from ui.auth import gate
from ui.guideline_panel import PageGuideline, fallback_text, page_guideline
from ui.markup import html_text, md

st.set_page_config(page_title="recap lead review", layout="wide")
FILTER_LABELS = {
    "recent": "recent decisions",
    "rejected": "rejected drafts",
    "slow": "slow (over twice their median time)",
    "gold_misses": "gold checks that missed gold",
}


@st.cache_resource
def get_store(url: str | None) -> Store:
    return Store(url)


def quote(label: str, text: str | None) -> None:
    st.markdown(
        f"<small>{html_text(label)}</small>"
        f"<div style='font-size:1.05em'>{html_text(text or '–')}</div>",
        unsafe_allow_html=True,
    )


def watch(store: Store, clip_id: str) -> None:
    """The clip playing, only its window when it is a window of a longer file."""
    clip = store.clips.get(clip_id)
    if clip is None:
        return
    first, last = play_window(clip.start_s, clip.end_s)
    try:
        st.video(
            str(playable(str(inside_root(clip.video, clip.root)))),
            start_time=first,
            end_time=last,
            loop=True,
            muted=True,
        )
    except RecapError as e:
        st.error(md(e))


def decision_line(r: Review) -> str:
    seconds = f", {r.seconds:.0f} s" if r.seconds is not None else ""
    return f"{r.reviewer}: {r.decision}{seconds}"


def ask(*what: object) -> None:
    """A button's on_click: notes what it asks (the act, the run, the clip or decision, the
    version it was drawn for, the widgets to read); main() carries it out after the gate."""
    st.session_state.lead_action = what


def scores_key(kind: str, run: str, target: object) -> str:
    """Where a settlement's or a verdict's rubric scores are kept in the page's state."""
    return f"lead-rubric/{kind}/{run}/{target}"


def carry_out(store: Store, lead: str, guideline: PageGuideline) -> None:
    """What the last press asked, on the state it was drawn for; a refusal says why. A
    settlement and a verdict carry the lead's rubric scores, if any, checked against the
    guideline in force."""
    what = st.session_state.pop("lead_action", None)
    if what is None:
        return
    kind, run, target, version, *keys = what
    text = [str(st.session_state.get(k, "")) for k in keys]
    g = guideline.guidelines
    try:
        if kind == "settle":
            scores = rubric.chosen(scores_key("settle", run, target))
            settle(store, lead, run, target, text[0], version=version, scores=scores, guidelines=g)
            done = f"settled {target}"
        elif kind == "resettle":
            settle(store, lead, run, target, text[0], reason=text[1], version=version)
            done = f"resettled {target}"
        elif kind == "reopen":
            reopen(store, lead, run, target, text[0], version=version)
            done = f"reopened {target}"
        else:  # a verdict on a decision (target: its id)
            scores = rubric.chosen(scores_key("verdict", run, target))
            review = judge(
                store, lead, int(target), Decision(kind), text[0], scores=scores, guidelines=g
            )
            done = f"{kind.replace('_', ' ')}: {review.clip_id}"
    except RecapError as e:
        st.session_state.lead_error = str(e)
    else:
        st.session_state.flash = done


def settle_section(store: Store, lead: str, run: str, guideline: PageGuideline) -> None:
    st.subheader("Disagreements to settle")
    found = disputes(store, run)
    if not found:
        st.caption("No clip is waiting for a settlement.")
        return
    for d in found:
        with st.expander(md(d.clip_id), expanded=len(found) == 1):
            record = store.runs.draft(run, d.clip_id)
            left, right = st.columns([5, 6])
            with left:
                watch(store, d.clip_id)
            with right:
                quote("original caption", store.clips.caption(d.clip_id))
                quote("draft", record.draft.rewrite if record else None)
                quote(decision_line(d.first), d.first.final_caption)
                quote(decision_line(d.second), d.second.final_caption)
                if lead in d.participants:
                    st.caption("You took part in this disagreement: another lead settles it.")
                    continue
                key = f"settle-{run}-{d.clip_id}"
                st.text_area(
                    "Settled caption", value=d.second.final_caption or "", key=key, height=90
                )
                g = guideline.guidelines
                rubric.choose(scores_key("settle", run, d.clip_id), g.rubric, g.version)
                st.button(
                    "Settle",
                    key=f"{key}-go",
                    type="primary",
                    on_click=ask,
                    args=("settle", run, d.clip_id, d.version, key),
                )


def feedback_section(store: Store, lead: str, run: str, guideline: PageGuideline) -> None:
    st.subheader("A reviewer's decisions")
    people = [
        u.email for u in store.users.all() if u.active and u.role in ROLES and u.email != lead
    ]
    c1, c2, c3 = st.columns([3, 3, 1])
    if people:
        reviewer = c1.selectbox("Reviewer", people, key="lead-reviewer")
    else:
        reviewer = c1.text_input("Reviewer", key="lead-reviewer")
    how = c2.selectbox("Show", FILTERS, format_func=lambda f: FILTER_LABELS[f], key="lead-filter")
    n = int(c3.number_input("How many", min_value=1, max_value=50, value=5, key="lead-n"))
    if not reviewer:
        return
    if reviewer == lead:
        st.caption("Your own decisions are for another lead to judge.")
        return
    picked = sample(store, run, reviewer, how, n, lead=lead)
    if not picked:
        st.caption("Nothing to look at with this filter (judged decisions are left out).")
        return
    for r in picked:
        with st.container(border=True):
            record = store.runs.draft(run, r.clip_id)
            left, right = st.columns([5, 6])
            with left:
                watch(store, r.clip_id)
            with right:
                st.markdown(f"**{md(r.clip_id)}** · {md(decision_line(r))}")
                quote("original caption", store.clips.caption(r.clip_id))
                quote("draft", record.draft.rewrite if record else None)
                quote("their final caption", r.final_caption)
                comment = f"comment-{r.id}"
                st.text_input("Comment (needed to send back)", key=comment)
                g = guideline.guidelines
                rubric.choose(scores_key("verdict", run, r.id), g.rubric, g.version)
                b1, b2 = st.columns(2)
                b1.button(
                    "Approve",
                    key=f"approve-{r.id}",
                    on_click=ask,
                    args=(Decision.APPROVED.value, run, r.id, None, comment),
                )
                b2.button(
                    "Send back",
                    key=f"send-{r.id}",
                    on_click=ask,
                    args=(Decision.SENT_BACK.value, run, r.id, None, comment),
                )


def final_section(store: Store, lead: str, run: str) -> None:
    """Reopen a final clip (it goes back to the queue) or resettle it with a caption: only a
    lead who took no part in its decision, and always with a reason."""
    st.subheader("Reopen or resettle a final clip")
    clip_id = st.text_input("Clip id", key="final-clip").strip()
    if not clip_id:
        st.caption(
            "Decided, agreed and settled clips are final for reviewers; a lead who took no part "
            "in the decision can reopen or resettle one, with a reason."
        )
        return
    status = store.reviews.status(run, clip_id)
    record = store.runs.draft(run, clip_id)
    if record is None or (status not in FINAL_STATUSES and status != Status.DISPUTED):
        st.caption(
            f"{md(clip_id)} is {md(status)} in {md(run)}: nothing final to reopen or resettle."
        )
        return
    rows = store.reviews.of_clip(run, clip_id)
    version = max((r.id for r in rows), default=0)
    behind = store.reviews.state_review(run, clip_id)
    left, right = st.columns([5, 6])
    with left:
        watch(store, clip_id)
    with right:
        st.markdown(f"**{md(clip_id)}** · {md(status)}")
        quote("original caption", store.clips.caption(clip_id))
        quote("draft", record.draft.rewrite)
        for r in rows:
            if r.final_caption:
                quote(f"{decision_line(r)} ({r.purpose or 'queue'})", r.final_caption)
        if lead in participants(rows):
            st.caption("You took part in deciding it: another lead reopens or resettles it.")
            return
        reason, caption = f"reason-{run}-{clip_id}", f"resettle-{run}-{clip_id}"
        st.text_input("Reason (kept with the row)", key=reason)
        shown = behind.final_caption if behind is not None else None
        st.text_area("Settled caption", value=shown or record.draft.rewrite, key=caption)
        b1, b2 = st.columns(2)
        b1.button(
            "Reopen",
            key=f"reopen-{run}-{clip_id}",
            on_click=ask,
            args=("reopen", run, clip_id, version, reason),
        )
        b2.button(
            "Resettle",
            key=f"resettle-{run}-{clip_id}-go",
            on_click=ask,
            args=("resettle", run, clip_id, version, caption, reason),
        )


def main() -> None:
    settings = Settings()
    store = get_store(settings.db)
    person = gate(store, settings, need="lead")  # reviewers are refused before anything is read
    lead = person.reviewer or st.query_params.get("reviewer", "") or "lead"
    guideline = page_guideline(settings)  # a file that cannot be used: the built-in, said so
    carry_out(store, lead, guideline)
    st.title("Lead review")
    if st.session_state.get("lead_error"):
        st.error(md(st.session_state.pop("lead_error")))
    if st.session_state.get("flash"):
        st.toast(md(st.session_state.pop("flash")))
    runs = [r.name for r in store.runs.all()]
    if not runs:
        st.info("No runs yet.")
        return
    default = settings.review_run
    if default not in runs:  # the latest production run, as `recap review` picks it
        try:
            default = store.runs.pick(None, "review")[0]
        except RecapError:
            default = runs[-1]
    run = st.selectbox("Run", runs, index=runs.index(default), key="lead-run")
    if guideline.fallback:
        st.warning(fallback_text(guideline))
    settle_section(store, lead, run, guideline)
    feedback_section(store, lead, run, guideline)
    final_section(store, lead, run)


main()
