"""The built-in synonym table for robot-manipulation captions, for the consistency report.

Each group is one thing or one action that captions name in several ways; the report flags a
dataset that uses more than one member of a group. Members are matched in any inflection
("grabs", "grabbed" are "grab"), longest phrase first ("hockey puck" before "puck"). A
guideline's own `[terms]` and `[consistency] groups` are added to these (a group sharing a
member with a guideline's group joins it, under the guideline's preferred term), and
`[consistency] synonyms = false` turns this table off.

Words with another common sense are left out ("set", "turn" and "place" are here only as
verbs of an action a caption names; "arm" and "hand" alone are not in any group).
"""

from __future__ import annotations

OBJECTS: dict[str, tuple[str, ...]] = {
    "puck": ("puck", "disc", "disk", "hockey puck"),
    "cube": ("cube", "block", "brick"),
    "gripper": ("gripper", "claw", "pincer", "end-effector", "end effector"),
    "robot arm": ("robot arm", "robotic arm", "manipulator", "robot manipulator"),
    "table": ("table", "tabletop", "table top", "desk", "workbench"),
    "target": ("target", "goal", "goal position", "target position", "goal location"),
    "mug": ("mug", "cup"),
    "bin": ("bin", "basket", "container"),
    "button": ("button", "switch"),
    "faucet": ("faucet", "tap", "spigot"),
    "peg": ("peg", "pin", "rod"),
}
ACTIONS: dict[str, tuple[str, ...]] = {
    "grasp": ("grasp", "grab", "grip", "pick up", "pick", "seize", "clutch"),
    "lift": ("lift", "raise", "hoist", "elevate"),
    "place": ("place", "put down", "set down", "deposit", "lay down"),
    "push": ("push", "shove", "nudge"),
    "press": ("press", "push down", "depress"),
    "move": ("move", "carry", "transport", "bring"),
    "release": ("release", "let go"),
    "reach": ("reach", "approach"),
    "rotate": ("rotate", "twist", "spin"),
    "close": ("close", "shut"),
    "pull": ("pull", "drag", "tug"),
    "insert": ("insert", "put in", "put into"),
}
SPELLINGS: dict[str, tuple[str, ...]] = {
    "gray": ("gray", "grey"),
    "color": ("color", "colour"),
    "center": ("center", "centre"),
    "aluminum": ("aluminum", "aluminium"),
}
GROUPS: dict[str, tuple[str, ...]] = {**OBJECTS, **ACTIONS, **SPELLINGS}
# Head nouns whose compounds ("hockey puck", "toy block") the report finds by itself.
OBJECT_HEADS = frozenset(m for group in OBJECTS.values() for m in group if " " not in m)
# Words before an object noun that describe it rather than name another kind of it.
NOT_A_NAME = frozenset(
    [
        "a",
        "an",
        "the",
        "this",
        "that",
        "these",
        "those",
        "its",
        "their",
        "his",
        "her",
        "our",
        "my",
        "your",
        "each",
        "every",
        "either",
        "neither",
        "both",
        "all",
        "any",
        "some",
        "no",
        "one",
        "two",
        "three",
        "four",
        "five",
        "six",
        "first",
        "second",
        "third",
        "last",
        "next",
        "other",
        "same",
        "another",
        "target",
        "goal",
        "robot",
        "robot's",
        "arm",
        "arm's",
        "gripper",
        "gripper's",
        "table",
        "left",
        "right",
        "top",
        "bottom",
        "front",
        "back",
        "near",
        "far",
        "middle",
        "centre",
        "center",
        "upper",
        "lower",
        "inner",
        "outer",
        "metal",
        "rubber",
        "foam",
        "wood",
        "paper",
        "glass",
        "cardboard",
        "plastic",
        "steel",
        "tape",
    ]
)
