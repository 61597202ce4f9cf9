"""`recap route calibrate | apply | status` end to end through the command line, on SQLite and on
a real PostgreSQL: a policy stored and read back, auto-acceptance with an audit share that goes
to the human queue, suspension once the audit fails, a person's decision winning over an
auto-acceptance in the queue and in export, and bad input refused with nothing written.

The run: 80 clips, drafts that call their caption accurate. Half the clips of each kind carry a
caption with no claim recap cannot check (confidence 1.0), the others "three red cubes"
(three unchecked claims: 0.9³ = 0.729). The gold file labels 40 of them: the 32 confident
drafts right, the 8 unsure ones wrong, so the fixed-sequence walk keeps 1.0 and stops at 0.729.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from agent.decisions import Arm, Decision, Purpose, Status
from agent.routing import in_audit, upper_bound
from agent.schema import Draft, DraftResult, PromptRef
from agent.store import Clip, Review, Store
from recap.main import app

runner = CliRunner()
SURE = "The robot moves."
UNSURE = "The robot picks up three red cubes."
CLIPS = [f"c{i:02d}" for i in range(80)]
GOLD = CLIPS[:40]  # labelled: 32 confident (right), 8 unsure (wrong)


def caption(clip_id: str) -> str:
    i = int(clip_id[1:])
    return UNSURE if (i < 40 and i >= 32) or (i >= 40 and i % 2) else SURE


def build(db: str, run: str = "r1", model: str = "m") -> Store:
    store = Store(db)
    store.runs.ensure(
        run, drafter="llm", model=model, prompt_name="p", prompt_hash="a" * 64, settings={}
    )
    for clip_id in CLIPS:
        text = caption(clip_id)
        if store.clips.get(clip_id) is None:
            store.clips.upsert(Clip(id=clip_id, video="v.mp4", content_hash=clip_id), text)
        draft = Draft(hallucinations=[], omissions=[], rewrite=text, verdict="accurate")
        store.runs.save_draft(
            run,
            DraftResult(
                clip=clip_id,
                caption=text,
                draft=draft,
                model=model,
                prompt=PromptRef(name="p", hash="a" * 64),
            ),
        )
    return store


def gold_file(path: Path, ids: list[str]) -> Path:
    rows = []
    for clip_id in ids:
        text = caption(clip_id)
        right = text == SURE
        rows.append({"id": clip_id, "gold_caption": text if right else "The robot picks a cube."})
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def cli(db: str, *args: str) -> Any:
    return runner.invoke(app, list(args), env={"RECAP_DB": db, "COLUMNS": "200"})


def words(text: str) -> str:
    return " ".join(text.split())


def decide(store: Store, clip_id: str, decision: Decision, caption: str, who: str = "ann") -> None:
    store.reviews.add(
        Review(
            clip_id=clip_id,
            run="r1",
            reviewer=who,
            decision=decision,
            final_caption=caption,
            purpose=Purpose.QUEUE,
        )
    )


def _final(store: Store) -> list[dict[str, Any]]:
    from agent.data import final_rows

    return list(final_rows(store, "r1"))


def pending(store: Store) -> set[str]:
    return set(store.reviews.candidates("r1", Status.PENDING, lease_run="r1", owner="x", limit=500))


def test_calibrate_apply_audit_and_suspend(db_url: str, tmp_path: Path) -> None:
    store = build(db_url)
    gold = gold_file(tmp_path / "gold.jsonl", GOLD)
    r = cli(db_url, "route", "calibrate", "--run", "r1", "--gold", str(gold),
            "--alpha", "0.2", "--delta", "0.2", "--json")  # fmt: skip
    assert r.exit_code == 0, r.output
    figures = json.loads(r.stdout)
    assert set(figures) == {"threshold", "alpha", "delta", "n", "coverage", "error", "bound"}
    assert figures["threshold"] == 1.0 and figures["n"] == 40
    assert figures["coverage"] == 32 / 40 and figures["error"] == 0.0
    assert figures["bound"] == pytest.approx(1 - 0.2 ** (1 / 32))  # no errors: closed form
    assert figures["bound"] == pytest.approx(upper_bound(0, 32, 0.2))

    (policy,) = store.routing.policies()  # the round trip: what was printed is what is kept
    assert (policy.threshold, policy.alpha, policy.delta, policy.n) == (1.0, 0.2, 0.2, 40)
    assert (policy.accepted, policy.errors, policy.labels, policy.run) == (32, 0, "gold", "r1")
    assert policy.prompt_version == "p@aaaaaaaaaaaa" and policy.suspended_at is None
    assert store.routing.labelled_clips(policy.id) == set(GOLD)
    scored = {d.clip_id: d for d in store.runs.drafts("r1") if d.confidence_score is not None}
    assert set(scored) == set(GOLD)  # the labelled drafts were scored, with their parts
    assert scored["c33"].confidence is not None
    assert [c.word for c in scored["c33"].confidence.parts.unchecked] == ["three", "red", "cubes"]

    decide(store, "c40", Decision.EDITED, "The robot moves twice.")  # a person got there first
    r = cli(db_url, "route", "apply", "--run", "r1", "--audit", "0.5", "--json")
    assert r.exit_code == 0, r.output
    applied = json.loads(r.stdout)
    rest = CLIPS[41:]
    sure = [c for c in rest if caption(c) == SURE]
    audits = {c for c in sure if in_audit("r1", c, 0.5)}
    assert 0 < len(audits) < len(sure)
    assert applied == {
        "auto_accepted": len(sure),
        "to_review": len(rest) - len(sure),
        "audit": len(audits),
    }
    acceptances = store.routing.acceptances("r1")
    assert set(acceptances) == set(sure) and "c40" not in acceptances
    assert {c for c, a in acceptances.items() if a.audit} == audits
    assert {a.confidence for a in acceptances.values()} == {1.0}

    # the queue: audited clips look like any other; accepted ones are gone; the rest stay
    unsure_rest = {c for c in rest if caption(c) == UNSURE}
    assert pending(store) == audits | unsure_rest | set(GOLD)

    r = cli(db_url, "runs")
    assert f"r1: {len(sure)} drafts accepted by recap's policy ({len(audits)} also" in words(
        r.stdout
    )

    # applying again adds nothing: every clip is decided, accepted or left to people as before
    r = cli(db_url, "route", "apply", "--run", "r1", "--json")
    assert json.loads(r.stdout) == {"auto_accepted": 0, "to_review": len(unsure_rest), "audit": 0}

    r = cli(db_url, "route", "status", "--run", "r1", "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout) == {
        "auto_accepted": len(sure),
        "audited": 0,
        "audit_errors": 0,
        "audit_bound": None,
        "suspended": False,
    }

    # a person's decision wins over the auto-acceptance, in export and in training pairs
    first = sorted(audits)[0]
    decide(store, first, Decision.EDITED, "The robot moves and stops.")
    plain = sorted(set(sure) - audits)[0]
    out = tmp_path / "out.jsonl"
    r = cli(db_url, "export", "--run", "r1", "--out", str(out))
    assert r.exit_code == 0, r.output
    rows = {row["clip_id"]: row for row in map(json.loads, out.open())}
    assert rows[first]["source"] == "review" and rows[first]["decided_by"] == "person"
    assert rows[first]["caption"] == "The robot moves and stops."
    assert rows[first]["decision"] == "edited" and rows[first]["reviewer"] == "ann"
    assert rows[plain]["source"] == "auto" and rows[plain]["decision"] == "auto_accepted"
    assert rows[plain]["decided_by"] == "recap-policy" and rows[plain]["reviewer"] is None
    assert (rows[plain]["policy"], rows[plain]["confidence"]) == (policy.id, 1.0)
    assert rows["c41"]["source"] == "draft" and rows["c41"]["decision"] is None

    # a person who decides a clip that was not audited outranks the policy too; their undo
    # gives it back to the policy (out of the queue again)
    decide(store, plain, Decision.REJECTED, "The robot waves.", who="cy")
    assert {r["clip_id"]: r for r in _final(store)}[plain]["decided_by"] == "person"
    store.reviews.add(
        Review(
            clip_id=plain,
            run="r1",
            reviewer="cy",
            decision=Decision.UNDO,
            undoes=store.reviews.last_undoable("r1", "cy").id,
        )
    )
    again = {r["clip_id"]: r for r in _final(store)}[plain]
    assert (again["source"], again["decided_by"]) == ("auto", "recap-policy")
    assert plain not in pending(store)
    r = cli(db_url, "export", "--run", "r1", "--format", "pairs", "--out", str(tmp_path / "p"))
    assert r.exit_code == 0, r.output
    critiques = [json.loads(x) for x in (tmp_path / "p" / "critiques.jsonl").open()]
    assert sorted(c["clip_id"] for c in critiques) == sorted(["c40", first])  # people only
    r = cli(db_url, "export", "--run", "r1", "--format", "pairs", "--with-auto",
            "--out", str(tmp_path / "q"))  # fmt: skip
    assert r.exit_code == 0, r.output
    critiques = [json.loads(x) for x in (tmp_path / "q" / "critiques.jsonl").open()]
    assert {c["decided_by"] for c in critiques} == {"person", "recap-policy"}
    assert len(critiques) == 2 + len(sure) - 1

    # the audit: every audited clip changed by a person; past the audits needed, suspended
    for clip_id in sorted(audits)[1:]:
        decide(store, clip_id, Decision.REJECTED, "The robot picks a cube.")
    r = cli(db_url, "route", "status", "--run", "r1", "--json")
    status = json.loads(r.stdout)
    n = len(audits)
    assert n >= 8  # ln 0.2 / ln 0.8 = 7.2: enough audits for the bound to judge at all
    assert status == {
        "auto_accepted": len(sure),
        "audited": n,
        "audit_errors": n,
        "audit_bound": 1.0,
        "suspended": True,
    }
    r = cli(db_url, "route", "status", "--run", "r1")
    assert "suspended" in words(r.stdout) and "exceeds alpha=0.2" in words(r.stdout)
    assert store.routing.policy(policy.id).suspended_reason is not None
    for command in ("team", "report"):  # the figures, the live bound and the reason
        r = cli(db_url, command, "--run", "r1")
        assert r.exit_code == 0, r.output
        said = words(r.stdout)
        assert f"Accepted by recap's policy {policy.id} in r1" in said
        assert f"accepted without a person │ {len(sure)}" in said
        assert f"audited by a person / wrong │ {n} / {n}" in said
        assert "live audit bound │ 1.000" in said and "state │ suspended" in said
        assert "exceeds alpha=0.2" in said

    # suspended: no new auto-acceptances (a redrafted clip is routed anew, and is refused)
    before = dict(store.routing.acceptances("r1"))
    r = cli(db_url, "route", "apply", "--run", "r1")
    assert r.exit_code != 0 and "is suspended" in words(r.output), r.output
    assert store.routing.acceptances("r1").keys() == before.keys()

    # recalibrated: a new policy, in force again
    r = cli(db_url, "route", "calibrate", "--run", "r1", "--gold", str(gold),
            "--alpha", "0.2", "--delta", "0.2")  # fmt: skip
    assert r.exit_code == 0 and "policy 2 for run r1" in words(r.stdout), r.output
    r = cli(db_url, "route", "apply", "--run", "r1", "--json")
    assert r.exit_code == 0, r.output


def test_audit_errors_below_the_needed_count_do_not_suspend(db_url: str, tmp_path: Path) -> None:
    store = build(db_url)
    gold = gold_file(tmp_path / "gold.jsonl", GOLD)
    cli(db_url, "route", "calibrate", "--run", "r1", "--gold", str(gold),
        "--alpha", "0.2", "--delta", "0.2")  # fmt: skip
    assert cli(db_url, "route", "apply", "--run", "r1", "--audit", "0.5").exit_code == 0
    audits = sorted(c for c, a in store.routing.acceptances("r1").items() if a.audit)
    for clip_id in audits[:3]:  # accepted as shown: no error
        decide(store, clip_id, Decision.ACCEPTED, SURE)
    decide(store, audits[3], Decision.REJECTED, "The robot stays still.")
    # a control-arm decision (the draft was not shown) is no audit of the draft
    store.reviews.add(
        Review(
            clip_id=audits[4],
            run="r1",
            reviewer="ann",
            decision=Decision.REJECTED,
            final_caption="The robot waves.",
            purpose=Purpose.QUEUE,
            arm=Arm.CONTROL,
        )
    )
    r = cli(db_url, "route", "status", "--run", "r1", "--json")
    status = json.loads(r.stdout)
    assert (status["audited"], status["audit_errors"], status["suspended"]) == (4, 1, False)
    assert status["audit_bound"] == pytest.approx(upper_bound(1, 4, 0.2))
    r = cli(db_url, "route", "status", "--run", "r1")
    assert "not yet judged" in words(r.stdout)


def refused(db: str, store: Store, *args: str) -> str:
    """Run a command that must fail, and check it wrote no policy and no acceptance."""
    before = len(store.routing.policies())
    r = cli(db, *args)
    assert r.exit_code != 0, r.output
    assert "Traceback" not in r.output
    assert len(store.routing.policies()) == before
    return words(r.output)


def test_bad_input_is_refused_and_writes_nothing(db_url: str, tmp_path: Path) -> None:
    store = build(db_url)
    gold = gold_file(tmp_path / "gold.jsonl", GOLD)
    base = ("route", "calibrate", "--run", "r1", "--gold", str(gold))
    for alpha, delta in (("0", "0.1"), ("1.5", "0.1"), ("0.1", "1"), ("0.1", "-0.2")):
        said = refused(db_url, store, *base, "--alpha", alpha, "--delta", delta)
        assert "strictly between 0 and 1" in said

    few = gold_file(tmp_path / "few.jsonl", GOLD[:10])
    said = refused(db_url, store, "route", "calibrate", "--run", "r1", "--gold", str(few),
                   "--alpha", "0.1", "--delta", "0.1")  # fmt: skip
    assert "10 labelled clips" in said and "needs at least 30" in said
    assert "22 clips bound the error" in said  # ln 0.1 / ln 0.9 = 21.9

    strange = tmp_path / "strange.jsonl"
    strange.write_text(gold.read_text() + json.dumps({"id": "zz", "gold_caption": "x"}) + "\n")
    said = refused(db_url, store, "route", "calibrate", "--run", "r1", "--gold", str(strange),
                   "--alpha", "0.2", "--delta", "0.2")  # fmt: skip
    assert "1 clip of" in said and "not drafted in run 'r1': zz" in said

    said = refused(db_url, store, "route", "calibrate", "--run", "r1", "--alpha", "0.2")
    assert "--gold FILE or --reviewed" in said
    said = refused(db_url, store, "route", "apply", "--run", "r1")
    assert "No routing policy holds for run 'r1'" in said

    # nothing was scored either: refused calibrations leave the drafts as they were
    assert all(d.confidence_score is None for d in store.runs.drafts("r1"))

    # a policy from another run identity
    assert cli(db_url, *base, "--alpha", "0.2", "--delta", "0.2").exit_code == 0
    build(db_url, run="r2", model="another-model")
    said = refused(db_url, store, "route", "apply", "--run", "r2", "--policy", "1")
    assert "Policy 1 was calibrated on run 'r1'" in said and "does not hold" in said
    assert store.routing.acceptances("r2") == {}
    said = refused(db_url, store, "route", "apply", "--run", "r1", "--audit", "1")
    assert "--audit must lie in [0, 1)" in said
    assert store.routing.acceptances("r1") == {}


def test_reviewed_clips_calibrate_with_settlements_winning(db_url: str) -> None:
    """--reviewed: the decision in force per clip is the label (a lead's settlement wins)."""
    store = build(db_url)
    for clip_id in GOLD:
        right = caption(clip_id) == SURE
        if right:
            decide(store, clip_id, Decision.ACCEPTED, caption(clip_id))
        else:
            decide(store, clip_id, Decision.EDITED, "The robot picks a cube.")
    # c00's reviewer changed it, but a lead settled it as drafted: the settlement is the label
    decide(store, "c00", Decision.EDITED, "The robot moves a lot.", who="bob")
    store.reviews.add(
        Review(
            clip_id="c00",
            run="r1",
            reviewer="lead@x",
            decision=Decision.ACCEPTED,
            final_caption=SURE,
            purpose=Purpose.SETTLE,
        )
    )
    r = cli(db_url, "route", "calibrate", "--run", "r1", "--reviewed", "--alpha", "0.2",
            "--delta", "0.2", "--json")  # fmt: skip
    assert r.exit_code == 0, r.output
    figures = json.loads(r.stdout)
    assert (figures["n"], figures["threshold"], figures["error"]) == (40, 1.0, 0.0)
    (policy,) = store.routing.policies()
    assert policy.labels == "reviewed"


def run_row(table: str, run: str = "r1") -> list[str]:
    """The cells of `run`'s row in `recap runs`' table."""
    line = next(x for x in table.splitlines() if x.strip("│ ").startswith(run))
    return [cell.strip() for cell in line.split("│")[1:-1]]


def test_runs_shows_the_median_confidence_and_one_run_its_distribution(
    db_url: str, tmp_path: Path
) -> None:
    import statistics

    store = build(db_url)
    r = cli(db_url, "runs", "r1")
    assert r.exit_code == 0, r.output
    assert "samples per clip 1" in words(r.stdout) and "No draft of r1 is scored yet" in r.stdout
    assert run_row(cli(db_url, "runs").stdout)[5] == "-"  # nothing scored: no figure

    gold = gold_file(tmp_path / "gold.jsonl", GOLD)
    cli(db_url, "route", "calibrate", "--run", "r1", "--gold", str(gold), "--alpha", "0.2",
        "--delta", "0.2")  # fmt: skip
    scores = [d.confidence_score for d in store.runs.drafts("r1") if d.confidence_score]
    assert len(scores) == 40  # the labelled drafts: 32 at 1.0, 8 at 0.9³
    r = cli(db_url, "runs")
    assert r.exit_code == 0, r.output
    # median 1.00, 40 of 80 scored
    assert run_row(r.stdout)[5] == f"{statistics.median(scores):.2f} (50%)"

    r = cli(db_url, "runs", "r1")
    said = words(r.stdout)
    assert "40 of 80 drafts scored" in said and "median confidence 1.000" in said
    assert "lowest 0.729 · highest 1.000" in said
    lines = {line.split("│")[1].strip(): line for line in r.stdout.splitlines() if "│" in line}
    assert lines["[0.7, 0.8)"].split("│")[2].strip() == "8"
    assert lines["[0.9, 1.0]"].split("│")[2].strip() == "32"
