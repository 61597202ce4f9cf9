"""Robot telemetry that accompanies a clip, and the facts it settles.

A vision model can be fooled about whether the gripper closed on the object or whether the task
succeeded; the robot's own state cannot. `Telemetry.facts()` turns the signals into short,
timed statements that go into the prompt as ground truth, in the terms of the task: grasp and
lift facts where the robot carries the object (pick and place, or an unnamed task), contact and
motion facts where it pushes, presses, opens or closes something (a closed gripper there is no
grasp: on a button or a drawer front it is closed long before it touches anything).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError, model_validator

from agent.errors import TelemetryError

GRIPPER_CLOSED_BELOW = 0.5  # opening fraction (1 = fully open)
# A gripper that closes (drops below GRIPPER_CLOSED_BELOW) but whose opening stays at or above
# this for the whole closure, lasting at least GRIPPER_HOLD_MIN_S, stopped on something: the
# fingers met an object before meeting each other. Fully closed on nothing reads below 0.1 on
# a gripper normalised to its own range; real objects keep SO-100 and ALOHA grippers at 0.15-0.45.
GRIPPER_HOLD_ABOVE = 0.1
GRIPPER_HOLD_MIN_S = 0.3
GRASP_RISE_M = 0.01  # a closed gripper whose object rises this much is holding it
LIFT_RISE_M = 0.04  # ... and this much more is a lift
# The key of a clip's `meta` that repeats its telemetry's `note` (what the telemetry lacks or
# assumes) for the review page and exports, which read the clip, not its telemetry.
NOTE_META_KEY = "telemetry_note"
# The key of a clip's `meta` that says how many arms the robot has, where its telemetry does not
# (the guideline's arm-name rule applies only to multi-arm robots).
ARMS_META_KEY = "arms"
REACH_M = 0.06  # the end effector comes this close to an object it touches (sample: <= 5.2 cm)
MOVED_M = 0.02  # an object that moves less than this was not pushed, pulled or pressed
# Task families whose object the robot carries (grasp and lift facts apply); the others are
# pushed, pressed, pulled or slid, so contact and motion are what telemetry can say about them.
CARRY_TASKS = {"pick_place"}


def task_kind(task: str | None) -> str | None:
    """Task family from a task name such as 'drawer-open-v3' or 'button-press-topdown-v3'."""
    t = (task or "").lower()
    for key, kind in (
        ("pick-place", "pick_place"),
        ("pick_place", "pick_place"),
        ("drawer-open", "drawer_open"),
        ("drawer-close", "drawer_close"),
        ("window-open", "window_open"),
        ("window-close", "window_close"),
        ("button", "press"),
        ("push", "push"),
    ):
        if key in t:
            return kind
    return None


class Event(BaseModel):
    """A ground-truth event with its time span, e.g. from a simulator's scripted policy."""

    name: str = Field(description="reach, grasp, lift, move, place, release, push, open, close…")
    t_start: float
    t_end: float | None = None
    detail: str | None = None


class Moment(BaseModel):
    """A time a caption's claims depend on, read from telemetry: where a frame should fall."""

    t: float
    what: str = Field(description="gripper closes/opens, object lifts off/lands, outcome, ...")
    rank: int = Field(
        default=2, description="0 first: which moments keep a frame when there are too many."
    )


class Telemetry(BaseModel):
    """Per-step robot state aligned with the clip. Every signal is optional except time."""

    t: list[float] = Field(description="Seconds from the clip start, one per step.")
    ee_pos: list[list[float]] | None = Field(
        default=None, description="End-effector position [x, y, z] in metres, one per step."
    )
    gripper: list[float] | None = Field(
        default=None, description="Gripper opening per step, 0 = closed, 1 = fully open."
    )
    grippers: dict[str, list[float]] | None = Field(
        default=None,
        description="Named grippers of a multi-arm robot (e.g. left, right), each like `gripper`.",
    )
    object_pos: list[list[float]] | None = Field(
        default=None, description="Position [x, y, z] of the manipulated object, one per step."
    )
    state: list[list[float]] | None = Field(
        default=None, description="Raw robot state vector per step (e.g. LeRobot's)."
    )
    action: list[list[float]] | None = Field(
        default=None, description="Raw action vector per step."
    )
    success: bool | None = Field(default=None, description="Whether the episode succeeded.")
    task: str | None = Field(default=None, description="The task's name, if known.")
    note: str | None = Field(
        default=None,
        description="What this telemetry lacks or assumes, e.g. a dataset with no gripper "
        "signal or a gripper direction taken from the robot type's convention.",
    )
    events: list[Event] = Field(default_factory=list, description="Ground-truth events.")

    @model_validator(mode="after")
    def _aligned(self) -> Telemetry:
        n = len(self.t)
        for name in ("ee_pos", "gripper", "object_pos", "state", "action"):
            series = getattr(self, name)
            if series is not None and len(series) != n:
                raise ValueError(f"{name} has {len(series)} steps but t has {n}")
        for label, series in (self.grippers or {}).items():
            if len(series) != n:
                raise ValueError(f"grippers.{label} has {len(series)} steps but t has {n}")
        if any(b < a for a, b in zip(self.t, self.t[1:], strict=False)):
            raise ValueError("t is not increasing")
        return self

    @classmethod
    def load(cls, path: str | Path) -> Telemetry:
        """Read telemetry from a JSON file (the same fields as this model)."""
        p = Path(path)
        try:
            if not p.is_file():
                raise TelemetryError(p, "file does not exist")
            data: Any = json.loads(p.read_bytes().decode("utf-8"))
            return cls.model_validate(data)
        except OSError as e:
            raise TelemetryError(p, f"cannot be read ({e.strerror})") from None
        except UnicodeDecodeError as e:
            raise TelemetryError(p, f"not valid UTF-8 (byte 0x{e.object[e.start]:02x})") from None
        except json.JSONDecodeError as e:
            raise TelemetryError(p, f"not valid JSON ({e.msg} at line {e.lineno})") from None
        except ValidationError as e:
            first = e.errors()[0]
            where = ".".join(str(x) for x in first["loc"]) or "file"
            raise TelemetryError(p, f"{where}: {first['msg']}") from None
        except (ValueError, RecursionError) as e:  # huge integers, absurd nesting
            raise TelemetryError(p, f"not usable JSON ({str(e)[:120]})") from None

    @property
    def arms(self) -> int | None:
        """How many arms the telemetry shows: its named grippers (a multi-arm robot), else one
        for a single gripper signal; None when it has no gripper signal to tell."""
        if self.grippers:
            return len(self.grippers)
        return 1 if self.gripper is not None else None

    def gripper_changes(self, series: list[float] | None = None) -> list[tuple[float, str]]:
        """Times the gripper (or the given gripper series) closes or opens, as
        (t, 'close' | 'open')."""
        series = self.gripper if series is None else series
        if not series:
            return []
        out: list[tuple[float, str]] = []
        closed = series[0] < GRIPPER_CLOSED_BELOW
        for t, g in zip(self.t, series, strict=True):
            now = g < GRIPPER_CLOSED_BELOW
            if now != closed:
                out.append((t, "close" if now else "open"))
                closed = now
        return out

    def held_opening(self, series: list[float], t0: float, t1: float) -> float | None:
        """The opening a closure from t0 to t1 stops at, when it stops part-way (the fingers
        stay at or above GRIPPER_HOLD_ABOVE for at least GRIPPER_HOLD_MIN_S); else None."""
        if t1 - t0 < GRIPPER_HOLD_MIN_S:
            return None
        during = [g for t, g in zip(self.t, series, strict=True) if t0 <= t < t1]
        if not during:
            return None
        low = min(during)
        return low if low >= GRIPPER_HOLD_ABOVE else None

    def _gripper_facts(self, series: list[float], who: str) -> list[str]:
        """Close/open facts of one gripper with no object position: when it closes, whether
        it stops part-way (likely holding something), when it opens."""
        facts: list[str] = []
        changes = self.gripper_changes(series)
        end = self.t[-1] if self.t else 0.0
        if not changes:
            state = "closed" if series[0] < GRIPPER_CLOSED_BELOW else "open"
            facts.append(f"the {who} stays {state} for the whole clip (never closes/opens)")
            held = self.held_opening(series, self.t[0], end + 1e-9) if state == "closed" else None
            if held is not None:
                facts.append(
                    f"the {who} is closed part-way ({held:.0%} open): likely holding something"
                )
        for i, (t, kind) in enumerate(changes):
            if kind == "close":
                t_open = next((tt for tt, k in changes[i + 1 :] if k == "open"), end + 1e-9)
                held = self.held_opening(series, t, t_open)
                if held is not None:
                    facts.append(
                        f"t={t:.1f}s: the {who} closes but stops part-way ({held:.0%} open): "
                        "likely holding something"
                    )
                else:
                    facts.append(f"t={t:.1f}s: the {who} closes")
            else:
                facts.append(f"t={t:.1f}s: the {who} opens")
        return facts

    def object_rise(self, t0: float, t1: float) -> float | None:
        """Highest rise of the object above its height at t0, within [t0, t1], in metres."""
        if not self.object_pos:
            return None
        zs = [p[2] for t, p in zip(self.t, self.object_pos, strict=True) if t0 <= t <= t1]
        return (max(zs) - zs[0]) if zs else None

    def grasp_and_lift(self) -> tuple[float | None, float | None]:
        """When the gripper first holds the object (closes, then the object rises
        GRASP_RISE_M) and when that object is first LIFT_RISE_M above where it was held."""
        grasp_t = lift_t = None
        if not self.object_pos:
            return None, None
        for t, change in self.gripper_changes():
            if change != "close":
                continue
            rise = self.object_rise(t, self.t[-1]) or 0.0
            if grasp_t is None and rise >= GRASP_RISE_M:
                grasp_t = t
            if lift_t is None and rise >= LIFT_RISE_M:
                held = [
                    (tt, p[2]) for tt, p in zip(self.t, self.object_pos, strict=True) if tt >= t
                ]
                lift_t = next(tt for tt, z in held if z - held[0][1] >= LIFT_RISE_M)
        return grasp_t, lift_t

    def _gaps(self) -> list[float] | None:
        """Distance from the end effector to the object per step, if both are known."""
        if not self.ee_pos or not self.object_pos:
            return None
        return [math.dist(a, b) for a, b in zip(self.ee_pos, self.object_pos, strict=True)]

    def _contact_facts(self) -> list[str]:
        """Gripper, contact and motion facts for a task that pushes, presses, opens or closes
        the object rather than carrying it."""
        facts: list[str] = []
        gaps = self._gaps()
        reach_t = (
            next((t for t, g in zip(self.t, gaps, strict=True) if g <= REACH_M), None)
            if gaps
            else None
        )
        if self.gripper:
            changes = self.gripper_changes()
            if not changes:
                state = "closed" if self.gripper[0] < GRIPPER_CLOSED_BELOW else "open"
                facts.append(f"the gripper stays {state} for the whole clip (never closes/opens)")
            for t, change in changes:
                if change == "open":
                    facts.append(f"t={t:.1f}s: the gripper opens")
                    continue
                gap = gaps[self.t.index(t)] if gaps else None
                if gap is None:
                    facts.append(f"t={t:.1f}s: the gripper closes")
                elif gap <= REACH_M:
                    facts.append(f"t={t:.1f}s: the gripper closes at the object")
                else:
                    facts.append(
                        f"t={t:.1f}s: the gripper closes {gap * 100:.0f} cm from the object"
                        + (" (before any contact)" if reach_t is None or reach_t > t else "")
                    )
        if gaps is not None:
            if reach_t is not None:
                facts.append(
                    f"t={reach_t:.1f}s: the end effector reaches the object "
                    f"(within {REACH_M * 100:.0f} cm)"
                )
            else:
                i = min(range(len(gaps)), key=gaps.__getitem__)
                facts.append(
                    f"the end effector never comes within {REACH_M * 100:.0f} cm of the object "
                    f"(closest {gaps[i] * 100:.0f} cm at t={self.t[i]:.1f}s)"
                )
        if self.object_pos:
            o0 = self.object_pos[0]
            dists = [math.dist(o0, p) for p in self.object_pos]
            start = next((t for t, d in zip(self.t, dists, strict=True) if d >= MOVED_M), None)
            if start is None:
                facts.append("the object never moves")
            else:
                facts.append(
                    f"t={start:.1f}s: the object starts to move; it ends "
                    f"{dists[-1] * 100:.0f} cm from where it started"
                )
        return facts

    def moments(self) -> list[Moment]:
        """The moments a caption's claims turn on, most important first: the outcome (the end
        of the clip, where it shows), every gripper closing and opening, the object lifting off
        and landing (rising GRASP_RISE_M above where it started, and coming back down), an
        object first moving in a push/press/open task, and each ground-truth event's start.
        Event-aware frame sampling puts a frame at each."""
        out: list[Moment] = []
        if not self.t:
            return out
        if self.success is not None:
            out.append(Moment(t=self.t[-1], what="outcome", rank=0))
        series = [("gripper", self.gripper)] + [
            (f"{label} gripper", g) for label, g in (self.grippers or {}).items()
        ]
        for who, values in series:
            for t, change in self.gripper_changes(values) if values else []:
                out.append(Moment(t=t, what=f"{who} {change}s", rank=1))
        if self.object_pos:
            z0 = self.object_pos[0][2]
            up = False
            for t, p in zip(self.t, self.object_pos, strict=True):
                if not up and p[2] - z0 >= GRASP_RISE_M:
                    out.append(Moment(t=t, what="object lifts off", rank=1))
                    up = True
                elif up and p[2] - z0 < GRASP_RISE_M / 2:
                    out.append(Moment(t=t, what="object lands", rank=1))
                    up = False
            kind = task_kind(self.task)
            if kind is not None and kind not in CARRY_TASKS:
                o0 = self.object_pos[0]
                moved = next(
                    (
                        t
                        for t, p in zip(self.t, self.object_pos, strict=True)
                        if math.dist(o0, p) >= MOVED_M
                    ),
                    None,
                )
                if moved is not None:
                    out.append(Moment(t=moved, what="object starts to move", rank=2))
        out += [Moment(t=ev.t_start, what=ev.name, rank=3) for ev in self.events]
        return sorted(out, key=lambda m: (m.rank, m.t))

    def facts(self) -> list[str]:
        """Short timed statements the prompt treats as ground truth."""
        facts: list[str] = []
        if self.task:
            facts.append(f"task: {self.task}")
        changes = self.gripper_changes()
        end = self.t[-1] if self.t else 0.0
        kind = task_kind(self.task)
        if kind is not None and kind not in CARRY_TASKS:
            facts += self._contact_facts()
        elif self.gripper and self.object_pos is None:
            facts += self._gripper_facts(self.gripper, "gripper")
        elif self.gripper is not None:
            if not changes:
                state = "closed" if self.gripper[0] < GRIPPER_CLOSED_BELOW else "open"
                facts.append(f"the gripper stays {state} for the whole clip (never closes/opens)")
            for i, (t, kind) in enumerate(changes):
                if kind == "close":
                    t_open = next((tt for tt, k in changes[i + 1 :] if k == "open"), end)
                    rise = self.object_rise(t, t_open)
                    if rise is None:
                        facts.append(f"t={t:.1f}s: the gripper closes")
                    elif rise >= GRASP_RISE_M:
                        facts.append(
                            f"t={t:.1f}s: the gripper closes on the object, which then rises "
                            f"{rise * 100:.0f} cm before t={t_open:.1f}s"
                        )
                    else:
                        facts.append(
                            f"t={t:.1f}s: the gripper closes but the object does not rise "
                            "(no lift; possibly no grasp)"
                        )
                else:
                    facts.append(f"t={t:.1f}s: the gripper opens")
        for label, series in (self.grippers or {}).items():
            if series:
                facts += self._gripper_facts(series, f"{label} gripper")
        for ev in self.events:
            span = f"{ev.t_start:.1f}s" + (f"-{ev.t_end:.1f}s" if ev.t_end is not None else "")
            facts.append(f"{span}: {ev.name}" + (f" ({ev.detail})" if ev.detail else ""))
        if self.success is not None:
            facts.append(
                "outcome: the task SUCCEEDED" if self.success else "outcome: the task FAILED"
            )
        if self.note:
            facts.append(f"note: {self.note}")
        return facts


def arm_count(telemetry: Telemetry | None, meta: dict[str, Any] | None) -> int | None:
    """The robot's number of arms where a clip tells it: its meta's `arms` (a whole number of
    at least one), else its telemetry's grippers; None when neither does (the linter then
    treats the robot as possibly multi-arm). A bad `arms` value is ignored, not an error."""
    arms = (meta or {}).get(ARMS_META_KEY)
    if isinstance(arms, int) and not isinstance(arms, bool) and arms >= 1:
        return arms
    return telemetry.arms if telemetry is not None else None
