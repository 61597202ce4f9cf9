"""A team's guideline file: the two-line start, what it inherits, what refuses to load (with the
line and key), the hash, and which file is in force."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.guidelines import (
    GuidelineError,
    active_guidelines,
    default_guidelines,
    guidelines_source,
    inspect_guidelines,
    load_guidelines,
)

TWO_LINES = """\
[terms]
"robot arm" = ["robotic arm", "robotic manipulator"]   # preferred = [banned variants]
[limits]
max_words = 40
"""


def write(tmp_path: Path, text: str, name: str = "guidelines.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def problems_of(tmp_path: Path, text: str) -> list[tuple[int | None, str, str]]:
    guidelines, problems = inspect_guidelines(write(tmp_path, text))
    errors = [(p.line, p.key, p.message) for p in problems if p.level == "error"]
    assert (guidelines is None) == bool(errors)
    return errors


def test_the_two_line_start_bans_the_variants_and_keeps_the_built_in_rules(tmp_path: Path) -> None:
    g = load_guidelines(write(tmp_path, TWO_LINES))
    text = "The robotic arms carefully lift the cube, and the Robotic manipulator drops it."
    found = [(w.kind, w.text) for w in g.lint(text)]
    assert ("term", "robotic arms") in found and ("term", "Robotic manipulator") in found
    assert ("speculation", "carefully") in found  # inherited from the built-in guideline
    term = next(w for w in g.lint(text) if w.text == "robotic arms")
    assert "'robot arms'" in term.message and text[term.start : term.end] == "robotic arms"
    long = " ".join(["The robot arm moves."] * 11)  # 44 words
    assert [w.message for w in g.lint(long) if w.kind == "length"] == [
        "44 words: keep captions under 40"
    ]
    assert not [w for w in default_guidelines().lint(long) if w.kind == "length"]
    assert g.prose == default_guidelines().prose
    assert g.name == "guidelines" and g.hash != default_guidelines().hash


def test_preferred_and_apply_terms_keep_inflection_and_case(tmp_path: Path) -> None:
    g = load_guidelines(write(tmp_path, TWO_LINES))
    assert g.preferred("robotic arms") == "robot arms"
    assert g.preferred("gripper") == "gripper"
    assert g.apply_terms("The Robotic arm waves; two robotic manipulators wait.") == (
        "The Robot arm waves; two robot arms wait."
    )
    verbs = load_guidelines(write(tmp_path, '[terms]\ngrasp = ["grab", "pick up"]\n', "v.toml"))
    assert verbs.apply_terms("It grabbed the cube and picks up the mug.") == (
        "It grasped the cube and grasps the mug."
    )
    assert verbs.preferred("Grabbing") == "Grasping"


def test_a_banned_word_inside_the_preferred_term_is_not_flagged(tmp_path: Path) -> None:
    g = load_guidelines(write(tmp_path, '[terms]\n"robot arm" = ["arm"]\n'))
    assert [w.text for w in g.lint("The robot arm lifts the cube and the arm stops.")] == ["arm"]


def test_base_none_starts_from_nothing_and_needs_prose(tmp_path: Path) -> None:
    assert problems_of(tmp_path, 'base = "none"\n[limits]\nmax_words = 10\n') == [
        (
            None,
            "prose",
            'a file with base = "none" needs its prose: prose = "FILE.md" or prose_text',
        )
    ]
    (tmp_path / "ours.md").write_text("# Our guideline\nPast tense.\n")
    ours = 'base = "none"\nprose = "ours.md"\n[limits]\nmax_words = 3\n'
    g = load_guidelines(write(tmp_path, ours))
    assert g.prose == "# Our guideline\nPast tense."
    assert [w.kind for w in g.lint("The arm carefully pickd it up.")] == ["length", "spelling"]


def test_prose_inline_and_its_edit_changes_the_hash(tmp_path: Path) -> None:
    a = load_guidelines(write(tmp_path, 'prose_text = "Say what the arm does."\n', "a.toml"))
    b = load_guidelines(write(tmp_path, 'prose_text = "Say what the arms do."\n', "b.toml"))
    assert a.prose == "Say what the arm does." and a.hash != b.hash
    path = write(tmp_path, TWO_LINES, "c.toml")
    before = load_guidelines(path)
    path.write_text(TWO_LINES.replace("40", "41"))
    assert load_guidelines(path).hash != before.hash


def test_every_kind_of_problem_is_named_with_its_line_and_key(tmp_path: Path) -> None:
    text = """\
name = "acme"
colour = "blue"
[terms]
"robot arm" = ["robotic arm", "robot arm"]
gripper = ["claw", "robotic arm"]
claw = ["pincer"]
[phrases.speculation]
patterns = ['(a+)+', '(?<!x)y', '\\barm\\b']
phrases = ["robot arm", 3]
message = "{word} bad"
[limits]
min_words = 50
max_words = 40
max_sentences = "2"
[tense]
use = "future"
[severity]
speculaton = "error"
spelling = "fatal"
[rubric.dimensions.accuracy]
levels = { "7" = "x" }
"""
    found = problems_of(tmp_path, text)
    expect = [
        (2, "colour", "unknown key 'colour'"),
        (4, 'terms."robot arm"[1]', "both the preferred term and one of its banned variants"),
        (5, "terms.gripper[0]", "'claw' is banned here but is itself a preferred term"),
        (5, "terms.gripper[1]", "already banned under another term"),
        (8, "phrases.speculation.patterns[0]", "could backtrack catastrophically"),
        (8, "phrases.speculation.patterns[1]", "look-ahead or look-behind"),
        (8, "phrases.speculation.patterns[2]", "would flag the preferred term 'robot arm'"),
        (9, "phrases.speculation.phrases[0]", "would flag the preferred term 'robot arm'"),
        (9, "phrases.speculation.phrases[1]", "must be a string, not a whole number"),
        (10, "phrases.speculation.message", "unknown placeholder {word}"),
        (12, "limits.min_words", "min_words = 50 is above max_words = 40"),
        (14, "limits.max_sentences", "must be a whole number, not a string"),
        (16, "tense.use", "'future' is not one of present, past, any"),
        (18, "severity.speculaton", "did you mean 'speculation'?"),
        (19, "severity.spelling", "'fatal' is not one of error, warning, info, off"),
        (20, "rubric.dimensions.accuracy", "needs a description"),
        (21, "rubric.dimensions.accuracy.levels.7", "not a score on the scale 1-5"),
    ]
    for line, key, message in expect:
        assert any(f[0] == line and f[1] == key and message in f[2] for f in found), (
            line,
            key,
            message,
            found,
        )
    assert len(found) == len(expect)
    with pytest.raises(GuidelineError) as e:
        load_guidelines(tmp_path / "guidelines.toml")
    assert "guidelines.toml:2 [colour]" in e.value.message
    assert len([p for p in e.value.problems if p.level == "error"]) == len(expect)


@pytest.mark.parametrize(
    ("text", "line", "what"),
    [
        ('name = "x"\n[terms]\n"a" = [1,\n', 3, "ends inside a value"),
        ('name = "x"\nmax = = 3\n', 2, "does not parse as TOML"),
        ("[limits]\nmax_words = 4\n[limits]\nmin_words = 1\n", 3, "does not parse as TOML"),
    ],
)
def test_a_file_that_does_not_parse_is_refused_with_its_line(
    tmp_path: Path, text: str, line: int, what: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(GuidelineError) as e:
        load_guidelines(path)
    [problem] = e.value.problems
    assert problem.line == line and what in problem.message


def test_a_missing_prose_file_or_bad_bytes_are_named(tmp_path: Path) -> None:
    with pytest.raises(GuidelineError, match=r"guidelines.toml:2 \[prose\].*missing.md"):
        load_guidelines(write(tmp_path, 'name = "x"\nprose = "missing.md"\n'))
    bad = tmp_path / "latin1.toml"
    bad.write_bytes(b'name = "x"\n# caf\xe9\n')
    with pytest.raises(GuidelineError, match=r"latin1.toml:2: is not UTF-8"):
        load_guidelines(bad)
    with pytest.raises(GuidelineError, match="cannot be read"):
        load_guidelines(tmp_path / "nope.toml")


def test_notes_do_not_stop_a_file(tmp_path: Path) -> None:
    text = '[tense]\nuse = "past"\n[spatial]\nview = "robot"\n'
    g, problems = inspect_guidelines(write(tmp_path, text))
    assert g is not None
    notes = [(p.line, p.key) for p in problems if p.level == "note"]
    assert (2, "tense.use") in notes and (4, "spatial.view") in notes
    assert [w.kind for w in g.lint("The robot arm picks up the cube on the robot's left.")] == [
        "tense"
    ]  # spatial stays off: the base turns it off and this file does not turn it on


def test_which_guideline_is_in_force(tmp_path: Path) -> None:
    flag = write(tmp_path, TWO_LINES, "flag.toml")
    env_file = write(tmp_path, TWO_LINES, "env.toml")
    prompts = tmp_path / "prompts"
    (prompts / "review-v2").mkdir(parents=True)
    beside = write(prompts, TWO_LINES)
    own = write(prompts / "review-v2", TWO_LINES)
    env = {"RECAP_GUIDELINES": str(env_file)}
    assert guidelines_source(flag, prompts_dir=prompts, env=env).chosen_by == "--guidelines"
    assert guidelines_source(None, prompts_dir=prompts, env=env).path == env_file
    assert guidelines_source(None, prompts_dir=prompts, env={}).path == beside
    assert guidelines_source(None, prompts_dir=prompts, prompt="review-v2", env={}).path == own
    assert guidelines_source(None, prompts_dir=tmp_path / "none", env={}).path is None
    assert active_guidelines(None, env={}) is default_guidelines()
    assert active_guidelines(None, prompts_dir=prompts, env={}).name == "guidelines"
