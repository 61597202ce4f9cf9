"""The Meta-World tasks the sample is made of, and how clips are planned over them.

Shared by the renderer (`metaworld_gen`) and the caption writer (`mistakes`), which import it
and not each other.
"""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class TaskSpec:
    env: str
    policy: str  # module.Class under metaworld.policies
    kind: str  # pick_place | push | drawer_open | drawer_close | press | window_open | ...
    object: str
    colour: str | None
    camera: tuple[float, float, float] = (135.0, -35.0, 1.15)  # azimuth, elevation, distance


TASKS: dict[str, TaskSpec] = {
    "pick-place": TaskSpec(
        "pick-place-v3",
        "sawyer_pick_place_v3_policy.SawyerPickPlaceV3Policy",
        "pick_place",
        "puck",
        "red",
    ),
    "push": TaskSpec("push-v3", "sawyer_push_v3_policy.SawyerPushV3Policy", "push", "puck", "red"),
    "drawer-open": TaskSpec(
        "drawer-open-v3",
        "sawyer_drawer_open_v3_policy.SawyerDrawerOpenV3Policy",
        "drawer_open",
        "drawer",
        None,
    ),
    "drawer-close": TaskSpec(
        "drawer-close-v3",
        "sawyer_drawer_close_v3_policy.SawyerDrawerCloseV3Policy",
        "drawer_close",
        "drawer",
        None,
    ),
    "button-press": TaskSpec(
        "button-press-topdown-v3",
        "sawyer_button_press_topdown_v3_policy.SawyerButtonPressTopdownV3Policy",
        "press",
        "button",
        "red",
    ),
    "window-open": TaskSpec(
        "window-open-v3",
        "sawyer_window_open_v3_policy.SawyerWindowOpenV3Policy",
        "window_open",
        "window",
        None,
    ),
    "window-close": TaskSpec(
        "window-close-v3",
        "sawyer_window_close_v3_policy.SawyerWindowCloseV3Policy",
        "window_close",
        "window",
        None,
    ),
}
FAILURES = {"pick_place": ["noisy", "early_release", "stop_short"], "push": ["noisy", "stop_short"]}
DEFAULT_FAILURES = ["noisy", "stop_short"]


@dataclass(frozen=True)
class ClipSpec:
    clip_id: str
    task: str
    mode: str  # success | noisy | early_release | stop_short
    seed: int


def plan(n: int, seed: int) -> list[ClipSpec]:
    """n clips spread over the tasks; two in five are induced failures, modes in rotation."""
    rng = random.Random(seed)
    names = list(TASKS)
    specs = []
    for i in range(n):
        task = names[i % len(names)]
        modes = FAILURES.get(TASKS[task].kind, DEFAULT_FAILURES)
        mode = modes[(i // len(names)) % len(modes)] if i % 5 in (1, 3) else "success"
        specs.append(ClipSpec(f"{task}-{i:03d}", task, mode, rng.randrange(10**6)))
    return specs
