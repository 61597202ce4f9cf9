"""The review page reads the guideline in force (issue 28): its linter's warnings under the
rewrite box, its version in the guideline panel, the clip's arm count for the arm-name rule; a
file that cannot be used shows why and the built-in linter takes over; a rule that breaks while
checking is shown as broken."""

from __future__ import annotations

import html
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from agent.guidelines import default_guidelines, load_guidelines
from agent.store import Clip, Store
from agent.telemetry import Telemetry

APP = str(Path(__file__).resolve().parents[2] / "ui" / "review.py")
# A team's own guideline: other terms, past tense, short captions, the arm named
OURS = """name = "ourlab"
[terms]
"robot arm" = ["robotic arm", "robotic manipulator"]
[tense]
use = "past"
[limits]
max_words = 8
[require]
arm_name = true
"""


def open_page(review_db: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> AppTest:
    monkeypatch.setenv("RECAP_DB", review_db)
    monkeypatch.setenv("RECAP_REVIEW_RUN", "r1")
    monkeypatch.setenv("RECAP_CACHE_DIR", str(tmp_path / "cache"))
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["reviewer"] = "ann"
    at.query_params["b"] = "browser1"
    return at.run()


def warnings(at: AppTest) -> list[str]:
    """The warnings under the rewrite box, as text (the page writes them as inert Markdown)."""
    return [html.unescape(w.value) for w in at.main.warning]


def panel_label(at: AppTest) -> str:
    labels = [html.unescape(e.label) for e in at.sidebar.expander]
    (found,) = [label for label in labels if label.startswith("Caption guidelines")]
    return found


def test_a_teams_guideline_drives_the_linter_and_the_panel(
    review_db: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """c1's draft rewrite ("The robot grasps the red cube, lifts it and places it on the
    plate.") breaks the team's past tense and 8-word limit, and names no arm; the built-in
    guideline finds nothing wrong with it. A typed "robotic arm" breaks the team's terms."""
    builtin = open_page(review_db, monkeypatch, tmp_path)
    assert not builtin.exception
    assert warnings(builtin) == []
    assert panel_label(builtin) == f"Caption guidelines · {default_guidelines().version}"

    ours = tmp_path / "ourlab.toml"
    ours.write_text(OURS)
    monkeypatch.setenv("RECAP_GUIDELINES", str(ours))
    at = open_page(review_db, monkeypatch, tmp_path)
    assert not at.exception and not at.sidebar.error
    version = load_guidelines(ours).version
    assert version.startswith("ourlab@") and panel_label(at) == f"Caption guidelines · {version}"
    shown = warnings(at)
    assert "length: 14 words: keep captions under 8" in shown
    assert "tense: present tense 'grasps': use past tense, e.g. 'grasped'" in shown
    assert any(w.startswith("arm: no arm named") for w in shown)
    at.text_area(key="edit-c1").input("The robotic arm grasped the cube.").run()
    shown = warnings(at)
    assert "term: 'robotic arm': the guideline's term is 'robot arm'" in shown
    assert not any(w.startswith(("tense", "length")) for w in shown)


def test_the_guideline_beside_the_prompts_is_used_without_the_variable(
    review_db: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    prompts = tmp_path / "prompts"
    (prompts / "review-v1").mkdir(parents=True)
    (prompts / "guidelines.toml").write_text(OURS)
    monkeypatch.delenv("RECAP_GUIDELINES", raising=False)
    monkeypatch.setenv("RECAP_PROMPTS_DIR", str(prompts))
    at = open_page(review_db, monkeypatch, tmp_path)
    assert panel_label(at).startswith("Caption guidelines · ourlab@")
    assert "length: 14 words: keep captions under 8" in warnings(at)


def test_the_arm_rule_gets_the_clips_arm_count(
    review_db: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A clip whose meta or telemetry says one arm is not asked to name it; two named grippers,
    or no arm count known, and the rule applies (it may be a two-arm robot)."""
    ours = tmp_path / "ourlab.toml"
    ours.write_text(OURS)
    monkeypatch.setenv("RECAP_GUIDELINES", str(ours))
    t = [0.0, 1.0]
    cases = [
        ({"arms": 1}, None, False),
        (None, Telemetry(t=t, gripper=[1.0, 0.2]), False),
        (None, Telemetry(t=t, grippers={"left": [1.0, 0.2], "right": [1.0, 1.0]}), True),
        ({"arms": "one"}, None, True),  # a bad value tells nothing
    ]
    for i, (meta, telemetry, asked) in enumerate(cases):
        store = Store(review_db)
        clip = store.clips.get("c1")
        row = Clip(id="c1", video=clip.video, root=clip.root, meta=meta, content_hash=f"v{i}")
        row.telemetry = telemetry
        store.clips.upsert(row, store.clips.caption("c1"))
        store.close()
        at = open_page(review_db, monkeypatch, tmp_path)
        assert "length: 14 words: keep captions under 8" in warnings(at)
        assert any(w.startswith("arm:") for w in warnings(at)) == asked, (meta, telemetry)


def test_a_guideline_that_cannot_be_used_is_named_and_the_builtin_takes_over(
    review_db: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    bad = tmp_path / "broken.toml"
    bad.write_text('[terms]\n"robot arm" = "robotic arm"\n[limits]\nmax_words = 8\n')
    monkeypatch.setenv("RECAP_GUIDELINES", str(bad))
    at = open_page(review_db, monkeypatch, tmp_path)
    assert not at.exception
    (error,) = [html.unescape(e.value) for e in at.sidebar.error]
    assert "The guideline file broken.toml cannot be used" in error  # its name, not its path
    assert 'broken.toml:2 [terms."robot arm"]: must be a list of banned variants' in error
    assert str(bad.parent) not in error
    assert default_guidelines().version in error  # says which guideline checks instead
    assert panel_label(at) == f"Caption guidelines · {default_guidelines().version}"
    assert warnings(at) == []  # the built-in linter, not the broken file's word limit
    at.text_area(key="edit-c1").input("The robot maybe grasps the cube.").run()
    assert any(w.startswith("speculation:") for w in warnings(at))  # the built-in's rule


def test_a_rule_that_breaks_while_checking_is_shown_as_broken(
    review_db: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The page lints in this process (AppTest), so a rule made to fail here fails there; the
    other rules' warnings still show, and the broken one is an error, not a caption warning."""
    from agent.guidelines._rules import LengthRule

    def explode(*_args: object) -> list[object]:
        raise RuntimeError("matcher gave up")

    ours = tmp_path / "ourlab.toml"
    ours.write_text(OURS)
    monkeypatch.setenv("RECAP_GUIDELINES", str(ours))
    monkeypatch.setattr(LengthRule, "check", explode)
    at = open_page(review_db, monkeypatch, tmp_path)
    assert not at.exception
    (broken,) = [html.unescape(e.value) for e in at.main.error]
    assert broken.startswith("broken rule length: rule 'length' is broken (RuntimeError")
    shown = warnings(at)
    assert any(w.startswith("tense:") for w in shown)
    assert not any(w.startswith(("length", "broken")) for w in shown)


def test_recap_review_passes_its_guideline_to_the_page_and_refuses_a_bad_one(
    review_db: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from recap.main import app as cli
    from ui import commands

    launched: list[dict[str, str]] = []
    monkeypatch.setattr(
        commands, "run_page_server", lambda cmd, env, **_: launched.append(env) or 0
    )
    monkeypatch.delenv("RECAP_GUIDELINES", raising=False)
    ours = tmp_path / "ourlab.toml"
    ours.write_text(OURS)
    monkeypatch.chdir(tmp_path)
    args = ["review", "--db", review_db, "--reviewer", "ann", "--guidelines"]
    result = CliRunner().invoke(cli, [*args, "ourlab.toml"])
    assert result.exit_code == 0, result.output
    assert launched[0]["RECAP_GUIDELINES"] == str(ours.resolve())
    assert f"guideline {load_guidelines(ours).version}" in " ".join(result.output.split())
    (tmp_path / "bad.toml").write_text("[limits]\nmax_words = 'many'\n")
    bad = CliRunner().invoke(cli, [*args, "bad.toml"])
    assert bad.exit_code != 0 and len(launched) == 1
    assert "bad.toml:2 [limits.max_words]" in " ".join(bad.output.split())


def test_the_server_warms_the_guideline_in_force_and_starts_with_a_broken_one(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """ui/serve.py's warm start loads (and caches) the file in force, so the first reviewer's
    page finds it built; a file that cannot be used does not stop the server."""
    from agent.guidelines import _guideline
    from ui.serve import warm

    ours = tmp_path / "ourlab.toml"
    ours.write_text(OURS)
    monkeypatch.setenv("RECAP_GUIDELINES", str(ours))
    _guideline._load_cached.cache_clear()
    warm()
    before = _guideline._load_cached.cache_info()
    assert before.currsize == 1
    load_guidelines(ours)
    assert _guideline._load_cached.cache_info().hits == before.hits + 1
    bad = tmp_path / "bad.toml"
    bad.write_text("[limits\n")
    monkeypatch.setenv("RECAP_GUIDELINES", str(bad))
    warm()  # no exception: the page names the file, the built-in is warmed instead
