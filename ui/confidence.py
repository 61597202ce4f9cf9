"""A draft's confidence on the review page: its score and parts in one compact line.

Shown only with the draft: a control-arm clip shows no draft, so no confidence either. A draft
not scored yet (scores are made when a run is calibrated or routed: `recap route calibrate |
apply`) shows nothing. Nor does any clip of a run a policy has routed: there every clip at or
above the threshold still in the queue is an audit, and its score would tell the reviewer so,
where an audited clip must look like any other.
"""

from __future__ import annotations

import streamlit as st

from agent.review import QueueItem, ReviewSession
from ui.markup import md


def show_confidence(session: ReviewSession, item: QueueItem) -> None:
    """One caption line: "Confidence 0.73 · 2 of 3 samples agree · telemetry agrees · ..."."""
    if item.control:
        return
    scored = item.record.confidence
    if scored is None or session.routed:
        return
    text = scored.summary()
    st.caption(md(text[:1].upper() + text[1:]), help=md(scored.explain()))
