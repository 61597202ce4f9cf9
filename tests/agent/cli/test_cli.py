"""`recap draft-one` end to end: the installed command against the fake server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from recap.main import app
from tests.conftest import TEST_KEY
from tests.fake_openai import FakeOpenAI, Reply

CAPTION = "The robot grasps the blue block and pushes it to the left."
DRAFT = {
    "observations": "0.3-4.7 s: a red block slides to the right; the gripper never closes",
    "hallucinations": [
        {
            "span": "grasps",
            "type": "gripper_or_grasp",
            "explanation": "the gripper stays open",
            "evidence_times": [0.9, 1.6],
        },
        {
            "span": "blue",
            "type": "attribute",
            "explanation": "the block is red",
            "evidence_times": [0.3],
        },
        {
            "span": "to the left",
            "type": "direction_or_spatial",
            "explanation": "it moves to the right",
            "evidence_times": [0.3, 4.7],
        },
    ],
    "omissions": [
        {
            "description": "the block ends at the right edge",
            "type": "outcome",
            "evidence_times": [4.7],
        }
    ],
    "rewrite": "The robot pushes the red block to the right until it reaches the right edge.",
    "verdict": "needs_edit",
}
runner = CliRunner()


def env_for(fake: FakeOpenAI) -> dict[str, str]:
    return {
        "OPENAI_BASE_URL": fake.url,
        "OPENAI_API_KEY": TEST_KEY,
        "RECAP_MODEL": "fake-vlm",
        "RECAP_RETRY_MAX_WAIT_S": "0.1",
        "COLUMNS": "120",
    }


def test_draft_one_prints_the_diff(fake: FakeOpenAI, clip: Path) -> None:
    fake.enqueue(Reply.draft(DRAFT))
    result = runner.invoke(app, ["draft-one", str(clip), "--caption", CAPTION], env=env_for(fake))
    assert result.exit_code == 0, result.output
    out = " ".join(result.output.split())
    assert "needs edit" in out
    for span in ("grasps", "blue", "to the left"):
        assert span in out
    assert "gripper_or_grasp" in out and "direction_or_spatial" in out
    assert "0.9s, 1.6s" in out and "the block ends at the right edge" in out
    assert "proposed rewrite" in out and "until it reaches the right edge" in out
    assert "word diff" in out
    assert "review-v1@" in out and "1 request(s)" in out
    assert TEST_KEY not in out


def test_draft_one_json_is_the_draft_result(fake: FakeOpenAI, clip: Path) -> None:
    fake.enqueue(Reply.draft(DRAFT))
    result = runner.invoke(
        app, ["draft-one", str(clip), "-c", CAPTION, "--json"], env=env_for(fake)
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["draft"]["rewrite"] == DRAFT["rewrite"]
    assert data["caption"] == CAPTION and data["model"] == "fake-vlm"
    assert "api_key" not in json.dumps(data["settings"])


def test_flags_override_environment(fake: FakeOpenAI, clip: Path) -> None:
    fake.enqueue(Reply.draft(DRAFT))
    env = env_for(fake) | {"RECAP_MODEL": "from-env"}
    result = runner.invoke(
        app,
        [
            "draft-one",
            str(clip),
            "-c",
            CAPTION,
            "--model",
            "from-flag",
            "--frames",
            "4",
            "--layout",
            "frames",
        ],
        env=env,
    )
    assert result.exit_code == 0, result.output
    assert fake.requests[0]["model"] == "from-flag"
    parts = fake.requests[0]["messages"][1]["content"]
    assert sum(p["type"] == "image_url" for p in parts) == 4


def test_without_endpoint_says_how_to_configure_one(clip: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "recap", "draft-one", str(clip), "--caption", CAPTION],
        capture_output=True,
        text=True,
        timeout=60,
        env={k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "RECAP_"))},
    )
    assert proc.returncode == 2
    assert "No model endpoint is configured." in proc.stderr
    assert "export OPENAI_API_KEY=" in proc.stderr and "OPENAI_BASE_URL" in proc.stderr
    assert "RECAP_MODEL" in proc.stderr and "Traceback" not in proc.stderr


def test_base_url_without_model_is_refused(tmp_path: Path, clip: Path) -> None:
    result = runner.invoke(
        app,
        ["draft-one", str(clip), "-c", CAPTION],
        env={"OPENAI_BASE_URL": "http://127.0.0.1:9/v1"},
    )
    assert result.exit_code == 2 and "no model is named" in result.stderr


def test_refused_key(fake: FakeOpenAI, clip: Path) -> None:
    env = env_for(fake) | {"OPENAI_API_KEY": "sk-not-the-right-one-123456"}
    result = runner.invoke(app, ["draft-one", str(clip), "-c", CAPTION], env=env)
    assert result.exit_code == 1
    assert "refused the API key (HTTP 401)" in result.stderr
    assert "sk-not-the-right-one-123456" not in result.output + result.stderr


def test_unreachable_endpoint(clip: Path) -> None:
    env = {
        "OPENAI_BASE_URL": "http://127.0.0.1:9/v1",
        "RECAP_MODEL": "m",
        "RECAP_MAX_RETRIES": "1",
        "RECAP_RETRY_MAX_WAIT_S": "0.05",
    }
    result = runner.invoke(app, ["draft-one", str(clip), "-c", CAPTION], env=env)
    assert result.exit_code == 1
    assert "Could not reach the model endpoint at http://127.0.0.1:9/v1" in result.stderr
    assert "Is the server running" in result.stderr


def test_bad_video(fake: FakeOpenAI, tmp_path: Path) -> None:
    bad = tmp_path / "broken.mp4"
    bad.write_text("not a video")
    result = runner.invoke(app, ["draft-one", str(bad), "-c", CAPTION], env=env_for(fake))
    assert result.exit_code == 1
    assert f"Cannot use video {bad}: not a video file" in result.stderr
    assert fake.requests == []  # nothing sent for a clip that cannot be read


def test_empty_caption(fake: FakeOpenAI, clip: Path) -> None:
    result = runner.invoke(app, ["draft-one", str(clip), "-c", "  "], env=env_for(fake))
    assert result.exit_code == 1 and "caption is empty" in result.stderr


def test_frames_command_writes_what_the_model_sees(clip: Path, tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["frames", str(clip), "--out", str(tmp_path / "f")], env={"COLUMNS": "120"}
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "f" / "sheet.jpg").stat().st_size > 0
    assert len(list((tmp_path / "f").glob("frame*.jpg"))) == 8
    assert "contact sheet" in result.output and "detail=high" in result.output


def test_frames_command_places_frames_at_the_telemetrys_moments(clip: Path, tmp_path: Path) -> None:
    tel = tmp_path / "t.json"
    t = [round(i * 0.1, 1) for i in range(50)]
    tel.write_text(json.dumps({"t": t, "gripper": [1.0] * 12 + [0.0] * 38}))
    result = runner.invoke(app, ["frames", str(clip), "--telemetry", str(tel)])
    assert result.exit_code == 0, result.output
    assert "1.20" in result.stdout.split("sampled 8 frames at")[1].split("\n")[0]
    assert "at the telemetry's moments: gripper closes 1.20 s" in result.stdout
    uniform = runner.invoke(
        app, ["frames", str(clip), "--telemetry", str(tel)], env={"RECAP_SAMPLING": "uniform"}
    )
    assert "1.20" not in uniform.stdout and "telemetry's moments" not in uniform.stdout


def test_prompts_command_lists_versions() -> None:
    result = runner.invoke(app, ["prompts"])
    assert result.exit_code == 0 and "review-v1@" in result.output


def test_every_draft_one_call_is_kept_in_the_database(
    fake: FakeOpenAI, clip: Path, tmp_path: Path
) -> None:
    from agent.store import Store

    db = tmp_path / "calls.db"
    env = env_for(fake) | {"RECAP_DB": str(db)}
    fake.enqueue(Reply.draft(DRAFT), Reply.draft(DRAFT))
    for _ in range(2):  # the same clip twice: one row, the latest
        assert runner.invoke(app, ["draft-one", str(clip), "-c", CAPTION], env=env).exit_code == 0
    store = Store(db)
    (run,) = store.runs.all()
    assert run.name == "draft-one-fake-vlm-review-v1"  # short, and never a bulk run
    (row,) = store.runs.drafts(run.name)
    assert store.sets.sets_of([row.clip_id]) == {row.clip_id: ["draft-one"]}
    assert store.sets.get("draft-one").kind == "one-off" and run.selection.sets == ("draft-one",)
    assert row.prompt_tokens > 0 and row.latency_s > 0 and row.rewrite == DRAFT["rewrite"]
    bad = env | {"OPENAI_API_KEY": "sk-refused-key-0000000000"}
    assert runner.invoke(app, ["draft-one", str(clip), "-c", CAPTION], env=bad).exit_code == 1
    errors = Store(db).runs.errors(run.name, unresolved=False)
    assert errors[-1].kind == "endpoint" and "401" in errors[-1].message
    assert b"sk-refused-key" not in db.read_bytes() and TEST_KEY.encode() not in db.read_bytes()
    runner.invoke(
        app,
        ["draft-one", str(clip), "-c", CAPTION, "--no-log"],
        env=env | {"RECAP_DB": str(tmp_path / "none.db")},
    )
    assert not (tmp_path / "none.db").exists()


def test_draft_sync_library_call(fake: FakeOpenAI, settings_for, clip: Path) -> None:
    from agent.drafting import draft_sync

    fake.enqueue(Reply.draft(DRAFT))
    result = draft_sync(clip, CAPTION, settings=settings_for())
    assert result.draft.hallucinations[0].span == "grasps"


def test_the_terminal_diff_puts_no_space_before_punctuation() -> None:
    from agent.cli._render import diff_text

    text = diff_text(
        "The robot grasps the puck and puts it down.",
        "The robot grasps the puck but drops it down, and the task fails.",
    )
    assert text.plain == "The robot grasps the puck and puts but drops it down, and the task fails."
    struck = [text.plain[s.start : s.end] for s in text.spans if "strike" in str(s.style)]
    assert struck == ["and puts"]


SAMPLE = Path(__file__).resolve().parents[3] / "evals" / "datasets" / "sample"


def test_draft_one_offline_checks_the_caption_against_telemetry(tmp_path: Path) -> None:
    """No endpoint needed: the offline drafter finds the outcome the telemetry contradicts,
    and the call is kept in the database like any other."""
    db = tmp_path / "one.db"
    caption = "The robot arm reaches for the red puck, grasps it and lifts it, and the task fails."
    r = runner.invoke(
        app,
        [
            "draft-one",
            str(SAMPLE / "pick-place-000.mp4"),
            "--caption",
            caption,
            "--telemetry",
            str(SAMPLE / "pick-place-000.telemetry.json"),
            "--drafter",
            "offline",
            "--json",
            "--db",
            str(db),
        ],
    )
    assert r.exit_code == 0, r.output
    result = json.loads(r.stdout)
    assert result["drafter"] == "offline"
    found = {h["span"]: h["type"] for h in result["draft"]["hallucinations"]}
    assert found.get("the task fails") == "outcome"  # the telemetry says it succeeded
    from agent.store import Store

    assert [run.drafter for run in Store(db).runs.all()] == ["offline"]


def test_draft_one_without_endpoint_or_drafter_names_both_ways(clip: Path) -> None:
    r = runner.invoke(app, ["draft-one", str(clip), "--caption", CAPTION])
    assert r.exit_code == 2
    said = " ".join(r.output.split())
    assert "No model endpoint is configured." in said and "OPENAI_BASE_URL" in said
    assert "recap draft-one VIDEO --caption TEXT --telemetry FILE --drafter offline" in said
