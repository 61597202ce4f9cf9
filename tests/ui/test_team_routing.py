"""The team page shows, for a run a policy routed, what recap accepted without a person, the
audit and its live bound, and a suspension with its reason (through AppTest, signed in as a
lead)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from agent.decisions import Decision
from agent.review import add_user
from agent.routing import apply_policy, calibrate_run, route_status
from tests.agent.routing.test_route_cli import GOLD, build, decide, gold_file
from tests.ui.test_auth import AUTH, signed_in

TEAM = str(Path(__file__).resolve().parents[2] / "ui" / "pages" / "team.py")


def test_the_team_page_shows_the_policy_and_its_suspension(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'r.db'}"
    store = build(url)
    add_user(store, "lee@x.org", "lead")
    gold = gold_file(tmp_path / "gold.jsonl", GOLD)
    calibrate_run(store, "r1", alpha=0.2, delta=0.2, gold=gold)
    applied = apply_policy(store, "r1", audit=0.5)
    audits = sorted(c for c, a in store.routing.acceptances("r1").items() if a.audit)
    for clip_id in audits:
        decide(store, clip_id, Decision.REJECTED, "The robot picks a cube.")
    _, status = route_status(store, "r1")
    assert status.suspended  # what the page must say

    monkeypatch.setenv("RECAP_DB", url)
    at = AppTest.from_file(TEAM, default_timeout=60)
    at.secrets["auth"] = AUTH
    at.user = signed_in("lee@x.org")
    at.run()
    assert not at.exception
    assert not [s for s in at.subheader if "recap's policy" in s.value]  # all runs: none
    at.selectbox(key="team-run").select("r1").run()
    assert not at.exception
    assert [s.value for s in at.subheader if "recap's policy" in s.value] == [
        "Accepted by recap's policy 1"
    ]
    (error,) = [e.value for e in at.error if e.value.startswith("Suspended")]
    assert "exceeds alpha=0.2" in error and "accepts nothing more" in error
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["accepted without a person"] == str(applied.auto_accepted)
    assert metrics["audited by a person"] == str(len(audits))
    assert metrics["audits wrong"] == str(len(audits))
    assert metrics["live audit bound (alpha 0.2)"] == "1.000"
