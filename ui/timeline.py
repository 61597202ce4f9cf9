"""The telemetry timeline beside the video: what the robot's state says, on the video's clock.

Gripper opening (each gripper of a two-arm robot), end-effector and object height over time,
with the findings' evidence times (red rules) and the sampled frame times (grey ticks) marked,
and the telemetry facts listed under it. Clicking the chart picks the nearest time step: the
page then seeks the player there (a small script finds the page's <video>) and shows the
frame at that time. Telemetry times are on the video file's clock, the same clock as evidence
and frame times, so no offset is needed.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import altair as alt
import pandas as pd

from agent.telemetry import Telemetry
from ui.markup import md

SELECTION = "seek"
OPENING_LABEL = "opening (0 closed .. 1 open)"
HEIGHT_LABEL = "height (m)"


def series(tel: Telemetry) -> pd.DataFrame:
    """Long-form rows (t, signal, value, axis) of every signal the clip has."""
    rows: list[dict[str, Any]] = []

    def add(name: str, values: Sequence[float], axis: str) -> None:
        rows.extend(
            {"t": float(t), "signal": name, "value": float(v), "axis": axis}
            for t, v in zip(tel.t, values, strict=True)
        )

    if tel.gripper is not None:
        add("gripper", tel.gripper, OPENING_LABEL)
    for label, values in (tel.grippers or {}).items():
        add(f"{label} gripper", values, OPENING_LABEL)
    if tel.ee_pos is not None:
        add("end-effector height", [p[2] for p in tel.ee_pos], HEIGHT_LABEL)
    if tel.object_pos is not None:
        add("object height", [p[2] for p in tel.object_pos], HEIGHT_LABEL)
    return pd.DataFrame(rows, columns=["t", "signal", "value", "axis"])


def chart(
    tel: Telemetry,
    evidence_times: Sequence[float] = (),
    frame_times: Sequence[float] = (),
    *,
    height: int = 110,
) -> alt.VConcatChart | alt.LayerChart | None:
    """One panel per unit (opening, height), sharing the time axis; None without signals."""
    data = series(tel)
    if data.empty:
        return None
    x = alt.X("t:Q", title="time (s)", scale=alt.Scale(domain=[tel.t[0], tel.t[-1]]))
    pick = alt.selection_point(name=SELECTION, fields=["t"], on="click", nearest=True)
    marks = pd.DataFrame(
        [{"t": float(t), "what": "evidence"} for t in evidence_times]
        + [{"t": float(t), "what": "sampled frame"} for t in frame_times],
        columns=["t", "what"],
    )
    panels = []
    for i, axis in enumerate(a for a in (OPENING_LABEL, HEIGHT_LABEL) if a in set(data["axis"])):
        part = data[data["axis"] == axis]
        base = alt.Chart(part).encode(
            x=x,
            y=alt.Y("value:Q", title=axis),
            color=alt.Color("signal:N", title=None),
            tooltip=[
                "signal",
                alt.Tooltip("t:Q", format=".2f"),
                alt.Tooltip("value:Q", format=".3f"),
            ],
        )
        lines = base.mark_line()
        points = base.mark_point(size=30, opacity=0.01)
        if i == 0:
            points = points.add_params(pick)
        layers = [lines, points]
        if not marks.empty:
            ev = marks[marks["what"] == "evidence"]
            fr = marks[marks["what"] == "sampled frame"]
            if not ev.empty:
                layers.append(
                    alt.Chart(ev)
                    .mark_rule(color="#d62728", strokeWidth=2)
                    .encode(x="t:Q", tooltip=["what", "t"])
                )
            if not fr.empty:
                layers.append(
                    alt.Chart(fr)
                    .mark_tick(color="#888", thickness=2, size=10)
                    .encode(x="t:Q", y=alt.value(height - 5), tooltip=["what", "t"])
                )
        panels.append(alt.layer(*layers).properties(height=height))
    if len(panels) == 1:
        return panels[0]
    return alt.vconcat(*panels).resolve_scale(color="independent")


def picked_time(event: Any) -> float | None:
    """The time a click picked, from `st.altair_chart(..., on_select="rerun")`'s return."""
    if event is None:
        return None
    selection = (
        event.get("selection") if isinstance(event, dict) else getattr(event, "selection", None)
    )
    if not selection:
        return None
    points = selection.get(SELECTION) if isinstance(selection, dict) else None
    if isinstance(points, list) and points and isinstance(points[0], dict) and "t" in points[0]:
        return float(points[0]["t"])
    if isinstance(points, dict) and isinstance(points.get("t"), list) and points["t"]:
        return float(points["t"][0])
    return None


SEEK_JS = """
<script>
// Seek the review page's player (the page's <video>, drawn by st.video) to T seconds.
const T = TIME;
function seek(tries) {
  const v = window.parent.document.querySelector("video");
  if (v) { v.pause(); v.currentTime = T; return; }
  if (tries > 0) setTimeout(() => seek(tries - 1), 200);
}
seek(15);
</script>
"""


def seek_script(t: float) -> str:
    """The script that seeks the player to `t` (a number; nothing else goes in)."""
    return SEEK_JS.replace("TIME", json.dumps(round(float(t), 3)))


def render(
    tel: Telemetry,
    evidence_times: Sequence[float],
    frame_times: Sequence[float],
    *,
    key: str,
) -> float | None:
    """Draw the timeline and the facts; on a click, seek the player and return the time."""
    import streamlit as st

    spec = chart(tel, evidence_times, frame_times)
    picked = None
    if spec is not None:
        event = st.altair_chart(
            spec, on_select="rerun", selection_mode=SELECTION, key=key, width="stretch"
        )
        picked = picked_time(event)
        if picked is not None:
            st.iframe(seek_script(picked), height=1)
    facts = tel.facts()
    if facts:  # task and event names come from the data: text, never Markdown (ui/markup.py)
        st.markdown("**Telemetry facts**\n" + "\n".join(f"- {md(f)}" for f in facts))
    return picked
