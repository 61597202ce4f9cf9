"""Terminology drift on a generated dataset: every planted variant is found, with its exact
caption count and clips, under the right concept and preferred term."""

from __future__ import annotations

import random
from pathlib import Path

from agent.guidelines import Drift, consistency, default_guidelines, load_guidelines

GUIDELINE = """\
[terms]
"robot arm" = ["robotic arm", "robot manipulator"]
[consistency]
groups = [["drawer", "compartment"]]
"""
# concept -> (the variant most captions use, [planted variants]); how each is found
PLANTED = {
    "robot arm": ("robot arm", ["robotic arm", "robot manipulator"]),  # guideline terms
    "puck": ("puck", ["disc", "hockey puck", "toy puck"]),  # table; table; compound
    "grasp": ("grasp", ["grab", "pick up"]),  # table, any inflection
    "drawer": ("drawer", ["compartment"]),  # the guideline's own group
    "gripper": ("gripper", ["endeffector"]),  # a spelling of a table member
    "workspace": ("workspace", ["work space", "work-space"]),  # spelling, found alone
}
# how the base variant and each planted one are written in captions (inflections included)
WRITTEN = {
    "robot arm": "robot arm",
    "robotic arm": "robotic arms",
    "robot manipulator": "robot manipulator",
    "puck": "puck",
    "disc": "discs",
    "hockey puck": "hockey puck",
    "toy puck": "toy puck",
    "grasp": "grasps",
    "grab": "grabbed",
    "pick up": "picks up",
    "drawer": "drawer",
    "compartment": "compartment",
    "gripper": "gripper",
    "endeffector": "endeffector",
    "workspace": "workspace",
    "work space": "work space",
    "work-space": "work-space",
}


def dataset(seed: int = 7, n: int = 300) -> tuple[list[tuple[str, str]], dict[str, set[str]]]:
    """Captions from one template; each slot takes its base variant, except in clips drawn at
    random for a planted one. Returns the rows and, per variant, the clips that use it."""
    rng = random.Random(seed)
    used: dict[str, set[str]] = {v: set() for v in WRITTEN}
    rows = []
    for i in range(n):
        clip = f"clip-{i:04d}"
        pick = {}
        for concept, (base, planted) in PLANTED.items():
            choice = base
            if rng.random() < 0.12:
                choice = rng.choice(planted)
            pick[concept] = choice
            used[choice].add(clip)
        text = (
            f"The {WRITTEN[pick['robot arm']]} {WRITTEN[pick['grasp']]} the red "
            f"{WRITTEN[pick['puck']]} with its {WRITTEN[pick['gripper']]}, moves it across the "
            f"{WRITTEN[pick['workspace']]} and drops it into the open "
            f"{WRITTEN[pick['drawer']]}."
        )
        rows.append((clip, text))
    return rows, used


def by_concept(drifts: list[Drift]) -> dict[str, Drift]:
    return {d.concept: d for d in drifts}


def test_every_planted_variant_is_found_with_its_clips(tmp_path: Path) -> None:
    path = tmp_path / "g.toml"
    path.write_text(GUIDELINE)
    rows, used = dataset()
    drifts = by_concept(consistency(rows, load_guidelines(path), max_clips=1000))
    assert all(len(used[v]) >= 2 for v in used)  # each planted variant is really there
    for concept, (base, planted) in PLANTED.items():
        drift = drifts[concept]
        variants = {v.text: v for v in drift.variants}
        assert set(variants) == {base, *planted}, concept
        for name in (base, *planted):
            assert variants[name].captions == len(used[name]), name
            assert set(variants[name].clips) == used[name], name
        assert drift.preferred == base
    assert drifts["robot arm"].source == "guideline"
    assert drifts["drawer"].source == "guideline"
    assert drifts["puck"].source == "synonyms"
    assert drifts["workspace"].source == "spelling"
    puck = {v.text: v for v in drifts["puck"].variants}
    assert puck["toy puck"].found == "compound" and puck["disc"].found == "group"
    assert dict(puck["disc"].forms) == {"discs": len(used["disc"])}
    grasp = {v.text: v for v in drifts["grasp"].variants}
    assert grasp["grab"].forms == {"grabbed": len(used["grab"])}
    assert {v.text: v.found for v in drifts["gripper"].variants}["endeffector"] == "spelling"
    # "red puck": a description, not another name
    assert not any("red" in v.text for d in drifts.values() for v in d.variants)


def test_preferred_is_the_most_used_without_a_guideline_term() -> None:
    rows = [(f"c{i}", "The arm grabs the cube.") for i in range(3)]
    rows += [("d0", "The arm grasps the block."), ("d1", "The arm grasps the cube.")]
    drifts = by_concept(consistency(rows, default_guidelines()))
    assert drifts["grasp"].preferred == "grab"
    assert [(v.text, v.captions) for v in drifts["grasp"].variants] == [("grab", 3), ("grasp", 2)]
    assert [(v.text, v.clips) for v in drifts["cube"].variants] == [
        ("cube", ["c0", "c1", "c2", "d1"]),
        ("block", ["d0"]),
    ]


def test_a_consistent_dataset_has_no_drift_and_synonyms_can_be_turned_off(
    tmp_path: Path,
) -> None:
    rows = [(f"c{i}", "The robot arm grasps the puck and lifts it.") for i in range(5)]
    assert consistency(rows, default_guidelines()) == []
    path = tmp_path / "g.toml"
    path.write_text("[consistency]\nsynonyms = false\n")
    mixed = [("a", "The arm grabs the disc."), ("b", "The arm grasps the puck.")]
    assert consistency(mixed, load_guidelines(path)) == []
    assert {d.concept for d in consistency(mixed, default_guidelines())} == {"grasp", "puck"}
