"""A lead's review, for leads and admins: settle the clips two reviewers disagreed on, and look
at a reviewer's recent decisions (or the rejected, slow, or gold-missing ones), watching each
clip, then approve it or send it back with a comment.

Thin: the rules are in agent/review/_lead.py; every approval, send-back and settlement is an
append-only row. Captions, comments, names and ids are shown as text, never as Markdown or
HTML (ui/markup.py).
"""

from __future__ import annotations

import streamlit as st

from agent.decisions import Decision
from agent.errors import RecapError
from agent.media import inside_root, playable
from agent.review import FILTERS, ROLES, disputes, judge, sample, settle
from agent.settings import Settings
from agent.store import Review, Store
from ui.auth import gate
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
    clip = store.clips.get(clip_id)
    if clip is None:
        return
    try:
        st.video(str(playable(str(inside_root(clip.video, clip.root)))), loop=True, muted=True)
    except RecapError as e:
        st.error(md(e))


def decision_line(r: Review) -> str:
    seconds = f", {r.seconds:.0f} s" if r.seconds is not None else ""
    return f"{r.reviewer}: {r.decision}{seconds}"


def settle_section(store: Store, lead: str, run: str) -> None:
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
                key = f"settle-{run}-{d.clip_id}"
                text = st.text_area(
                    "Settled caption", value=d.second.final_caption or "", key=key, height=90
                )
                if st.button("Settle", key=f"{key}-go", type="primary"):
                    try:
                        settle(store, lead, run, d.clip_id, text)
                    except RecapError as e:
                        st.error(md(e))
                    else:
                        st.session_state.flash = f"settled {d.clip_id}"
                        st.rerun()


def feedback_section(store: Store, lead: str, run: str) -> None:
    st.subheader("A reviewer's decisions")
    people = [u.email for u in store.users.all() if u.active and u.role in ROLES]
    c1, c2, c3 = st.columns([3, 3, 1])
    if people:
        reviewer = c1.selectbox("Reviewer", people, key="lead-reviewer")
    else:
        reviewer = c1.text_input("Reviewer", key="lead-reviewer")
    how = c2.selectbox("Show", FILTERS, format_func=lambda f: FILTER_LABELS[f], key="lead-filter")
    n = int(c3.number_input("How many", min_value=1, max_value=50, value=5, key="lead-n"))
    if not reviewer:
        return
    picked = sample(store, run, reviewer, how, n)
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
                comment = st.text_input("Comment (needed to send back)", key=f"comment-{r.id}")
                b1, b2 = st.columns(2)
                verdict = None
                if b1.button("Approve", key=f"approve-{r.id}"):
                    verdict = Decision.APPROVED
                if b2.button("Send back", key=f"send-{r.id}"):
                    verdict = Decision.SENT_BACK
                if verdict:
                    try:
                        judge(store, lead, r.id, verdict, comment)
                    except RecapError as e:
                        st.error(md(e))
                    else:
                        st.session_state.flash = f"{verdict.replace('_', ' ')}: {r.clip_id}"
                        st.rerun()


def main() -> None:
    settings = Settings()
    store = get_store(settings.db)
    person = gate(store, settings, need="lead")  # reviewers are refused before anything is read
    lead = person.reviewer or st.query_params.get("reviewer", "") or "lead"
    st.title("Lead review")
    if st.session_state.get("flash"):
        st.toast(md(st.session_state.pop("flash")))
    runs = [r.name for r in store.runs.all()]
    if not runs:
        st.info("No runs yet.")
        return
    default = settings.review_run
    run = st.selectbox(
        "Run", runs, index=runs.index(default) if default in runs else len(runs) - 1, key="lead-run"
    )
    settle_section(store, lead, run)
    feedback_section(store, lead, run)


main()
