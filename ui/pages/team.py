"""The team dashboard, for leads and admins: each reviewer's day (throughput, gold accuracy,
automation bias, agreement, sent-back rate), team totals, agreement between reviewers, mean
rubric scores per reviewer and dimension (where a guideline's rubric was scored), and for
one run what recap's routing policy accepted (its audit, live bound, suspension) and the five
largest error sources of its original captions (what `recap feedback` reports first).

A page of its own (Streamlit multipage), gated by role before anything is read: a reviewer who
opens it sees only a refusal. The figures come from agent/review/_team.py, which `recap team`
prints.
"""

from __future__ import annotations

from dataclasses import asdict

import streamlit as st

from agent.errors import RecapError
from agent.feedback import build, from_run
from agent.review import (
    DEFINITIONS,
    agreement,
    by_reviewer_and_day,
    decisions,
    evidence,
    rubric_label,
    rubric_means,
    to_csv,
    totals,
    verdicts,
)
from agent.settings import Settings
from agent.store import Store
from ui.auth import gate
from ui.markup import md

st.set_page_config(page_title="recap team", layout="wide")
FORMATS = {
    "clips_per_hour": st.column_config.NumberColumn("clips / hour", format="%.1f"),
    "accept_rate": st.column_config.NumberColumn("accepted as is", format="percent"),
    "mean_edit_rate": st.column_config.NumberColumn("mean edit rate", format="%.2f"),
    "mean_seconds": st.column_config.NumberColumn("s / clip", format="%.1f"),
    "same_decision": st.column_config.NumberColumn("same decision", format="percent"),
    "kappa": st.column_config.NumberColumn("Cohen's kappa", format="%.2f"),
    "caption_ter": st.column_config.NumberColumn("caption TER", format="%.1f"),
    "of_target": st.column_config.NumberColumn("of target", format="percent"),
    "gold_checks": st.column_config.NumberColumn("gold checks"),
    "gold_ter": st.column_config.NumberColumn("gold TER", format="%.1f"),
    "gold_findings": st.column_config.NumberColumn("gold findings", format="percent"),
    "automation_bias": st.column_config.NumberColumn("automation bias", format="percent"),
    "agreement": st.column_config.NumberColumn("agreement", format="percent"),
    "sent_back_rate": st.column_config.NumberColumn("sent back", format="percent"),
    "findings_by_type": st.column_config.TextColumn("findings alike, by type"),
}


@st.cache_resource
def get_store(url: str | None) -> Store:
    return Store(url)


def routing_section(store: Store, run: str) -> None:
    """What recap's policy accepted in `run` without a person, its audit and live bound, and a
    suspension with its reason (`agent.routing.routing_figures`, as `recap team` prints)."""
    from agent.routing import routing_figures

    found = routing_figures(store, run)
    if found is None:
        return
    row, status = found
    st.subheader(f"Accepted by recap's policy {row.id}")
    if status.suspended:
        st.error(f"Suspended: {status.reason}. It accepts nothing more until calibrated again.")
    else:
        st.caption(status.reason)
    bound = "-" if status.audit_bound is None else f"{status.audit_bound:.3f}"
    c = st.columns(4)
    c[0].metric("accepted without a person", status.auto_accepted)
    c[1].metric("audited by a person", status.audited)
    c[2].metric("audits wrong", status.audit_errors)
    c[3].metric(f"live audit bound (alpha {row.alpha:g})", bound)


def main() -> None:
    settings = Settings()
    store = get_store(settings.db)
    gate(store, settings, need="lead")  # reviewers are refused here, before anything is read
    st.title("Team")
    runs = ["all runs", *(r.name for r in store.runs.all())]
    c1, c2 = st.columns(2)
    run = c1.selectbox("Run", runs, key="team-run")
    target = c2.number_input("Daily target (clips)", min_value=0, value=0, step=50)
    chosen = None if run == "all runs" else run
    rows = decisions(store, chosen)
    ev = evidence(store, rows, chosen)
    days = by_reviewer_and_day(rows, ev)
    if chosen is not None:
        routing_section(store, chosen)
    if not days:
        st.info("No decisions yet.")
        return
    st.subheader("Per reviewer and day")
    st.dataframe([asdict(d) for d in days], hide_index=True, column_config=FORMATS)
    st.bar_chart({f"{d.day} {d.reviewer}": d.clips for d in days}, horizontal=True, x_label="clips")
    gold = {
        f"{d.day} {d.reviewer}": d.automation_bias for d in days if d.automation_bias is not None
    }
    if gold:
        st.caption("Automation bias: wrong gold drafts accepted unchanged (lower is better)")
        st.bar_chart(gold, horizontal=True, x_label="share")
    # with the leads' approvals and send-backs, which can carry scores too
    scored = [*rows, *verdicts(store, chosen)] if store.reviews.has_scores() else []
    means = rubric_means(store, scored)
    daily = rubric_means(store, scored, per_day=True) if means else None
    st.download_button(
        "Download CSV", to_csv(days, daily), file_name="recap-team.csv", mime="text/csv"
    )
    st.subheader("Team per day")
    st.dataframe(totals(days, int(target) or None), hide_index=True, column_config=FORMATS)
    st.subheader("Agreement where two reviewers decided the same clip")
    try:
        pairs = agreement(rows, ev)
    except RecapError as e:
        st.warning(md(e))
        pairs = []
    if pairs:
        table = [
            {
                **asdict(p),
                "findings_by_type": ", ".join(
                    f"{t} {v:.0%}" for t, v in (p.findings_by_type or {}).items()
                ),
            }
            for p in pairs
        ]
        st.dataframe(table, hide_index=True, column_config=FORMATS)
    else:
        st.caption("No clip has decisions from two reviewers yet.")
    if means:  # only where a guideline's rubric was scored
        st.subheader("Rubric scores per reviewer")
        st.dataframe(
            [
                {
                    "reviewer": m.reviewer,
                    "dimension": rubric_label(m, means),
                    "scale": m.scale,
                    "n": m.n,
                    "mean": m.mean,
                }
                for m in means
            ],
            hide_index=True,
            column_config={"mean": st.column_config.NumberColumn("mean", format="%.2f")},
        )
    error_sources(store, chosen)
    with st.expander("What the figures mean"):
        st.markdown("\n".join(f"- **{k}**: {v}" for k, v in DEFINITIONS.items()))


def error_sources(store: Store, run: str | None) -> None:
    """The run's five largest error sources, as plain text (no Markdown: captions' words)."""
    st.subheader("What the captions get wrong")
    if run is None:
        st.text("Pick a run to see its captions' largest error sources.")
        return
    try:
        report = build(from_run(store, run))
    except RecapError as e:
        st.text(e.message)
        return
    st.text("\n".join(f"{i}. {line}" for i, line in enumerate(report.summary, 1)))
    st.text(f"recap feedback --run {run} --out DIR writes the whole report.")


main()
