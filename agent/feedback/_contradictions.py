"""Against telemetry: how often the captioner's outcome and grasp claims disagree with what the
robot recorded, on the clips that have telemetry.

The check is the offline drafter's own (`OfflineDrafter.review`: its claim finder and telemetry
rules, no model), run on the original caption: an outcome it contradicts (success claimed on a
failed episode, or the reverse) or a grasp, release or gripper state it contradicts. Each is
counted once per caption. The rules know the claims telemetry settles and nothing else, so a
caption they pass is not thereby right; and where they miss a wording, a disagreement goes
uncounted (never the reverse, on the phrasings its tests pin down).
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from agent.schema import HallucinationType
from agent.telemetry import Telemetry

if TYPE_CHECKING:
    from agent.drafting._offline import OfflineDrafter

CHECKED = (HallucinationType.OUTCOME, HallucinationType.GRIPPER_OR_GRASP)


@cache
def _rules() -> OfflineDrafter:
    """One offline drafter for every caption of a report (its rules keep no state)."""
    from agent.drafting._offline import OfflineDrafter

    return OfflineDrafter()


def disagreements(caption: str, telemetry: Telemetry | None) -> tuple[str, ...] | None:
    """The kinds of claim (outcome, gripper_or_grasp) in `caption` that telemetry contradicts;
    None without telemetry (or when the caption cannot be checked)."""
    from agent.errors import RecapError

    if telemetry is None or not telemetry.t:
        return None
    try:
        draft = _rules().review(caption, telemetry)
    except RecapError:
        return None
    found = {h.type for h in draft.hallucinations}
    return tuple(t.value for t in CHECKED if t in found)
