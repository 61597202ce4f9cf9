"""A draft's confidence on the review page: its score and parts in one compact line.

Shown only with the draft: a control-arm clip shows no draft, so no confidence either. A draft
not scored yet (scores are made when a run is calibrated or routed: `recap route calibrate |
apply`) shows nothing.
"""

from __future__ import annotations

import streamlit as st

from agent.review import QueueItem
from ui.markup import md


def show_confidence(item: QueueItem) -> None:
    """One caption line: "Confidence 0.73 · 3 of 3 samples agree · telemetry agrees · ..."."""
    if item.control:
        return
    scored = item.record.confidence
    if scored is None:
        return
    text = scored.summary()
    st.caption(md(text[:1].upper() + text[1:]), help=md(scored.explain()))
