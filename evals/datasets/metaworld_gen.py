"""Render robot clips with Meta-World (MuJoCo, off-screen via OSMesa), with telemetry and events.

Needs the optional extra `recap-agent[sim]` (metaworld, mujoco) and Debian's libosmesa6.
Each clip is one episode of a Sawyer arm running Meta-World's scripted policy for a task,
150 simulation steps shown as 5 s at 30 fps, from a free camera aimed at the task's objects
(MuJoCo's Renderer returns upright images, unlike some of the built-in corner cameras).
Failures are induced on purpose: noisy actions, an early release of a grasped object, or a
policy that stops short. Every clip is rendered in a fresh process, since one process cannot
reliably hold several OSMesa contexts.

    python -m evals.datasets.metaworld_gen --out evals/datasets/sample --clips 30 --seed 0
"""

from __future__ import annotations

import argparse
import importlib
import json
import multiprocessing as mp
import os
import random
from dataclasses import asdict, dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

FPS = 30
STEPS = 150  # 5 s
SIZE = (400, 300)


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


def render_clip(spec: ClipSpec, out_dir: Path) -> dict[str, Any]:
    """Run one episode, write <id>.mp4 and <id>.telemetry.json; return the telemetry."""
    os.environ.setdefault("MUJOCO_GL", "osmesa")
    os.environ.setdefault("PYOPENGL_PLATFORM", "osmesa")
    import av
    import metaworld
    import mujoco
    import numpy as np

    task = TASKS[spec.task]
    mod, cls = task.policy.rsplit(".", 1)
    policy = getattr(importlib.import_module(f"metaworld.policies.{mod}"), cls)()
    ml1 = metaworld.ML1(task.env, seed=spec.seed)
    env = ml1.train_classes[task.env]()
    env._partially_observable = False  # the scripted policies need the goal in the observation
    env.set_task(ml1.train_tasks[spec.seed % len(ml1.train_tasks)])
    env._partially_observable = False
    obs, _ = env.reset(seed=spec.seed)
    rng = np.random.default_rng(spec.seed)
    goal = np.array(obs[-3:])
    look = (np.array(obs[4:7]) + goal) / 2 if np.any(goal) else np.array(obs[4:7])
    renderer = mujoco.Renderer(env.model, SIZE[1], SIZE[0])
    cam = mujoco.MjvCamera()
    cam.lookat[:] = [look[0], look[1], 0.08]
    cam.azimuth, cam.elevation, cam.distance = task.camera
    path = out_dir / f"{spec.clip_id}.mp4"
    telemetry: dict[str, Any] = {
        "t": [],
        "ee_pos": [],
        "gripper": [],
        "object_pos": [],
        "task": task.env,
    }
    successes = []
    z0 = float(obs[6])
    released = False
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=FPS)
        stream.width, stream.height = SIZE
        stream.pix_fmt = "yuv420p"
        stream.codec_context.thread_count = 1
        stream.options = {"crf": "28", "preset": "veryfast"}
        for step in range(STEPS):
            action = np.asarray(policy.get_action(obs), dtype=np.float64)
            if spec.mode == "noisy":
                action[:3] += rng.normal(0, 1.5, size=3)
            elif spec.mode == "stop_short" and step >= 20:
                action[:3] = 0.0
            elif spec.mode == "early_release" and (released or float(obs[6]) > z0 + 0.05):
                released = True
                action[3] = -1.0
            obs, _r, _term, _trunc, info = env.step(np.clip(action, -1, 1))
            successes.append(bool(info.get("success", 0.0)))
            renderer.update_scene(env.data, camera=cam)
            frame = av.VideoFrame.from_ndarray(renderer.render(), format="rgb24")
            frame.pts, frame.time_base = step, Fraction(1, FPS)
            for packet in stream.encode(frame):
                container.mux(packet)
            telemetry["t"].append(round(step / FPS, 4))
            telemetry["ee_pos"].append([round(float(x), 4) for x in obs[0:3]])
            telemetry["gripper"].append(round(float(obs[3]), 4))
            telemetry["object_pos"].append([round(float(x), 4) for x in obs[4:7]])
        for packet in stream.encode():
            container.mux(packet)
    renderer.close()
    env.close()
    telemetry["success"] = bool(any(successes[-10:]))
    (out_dir / f"{spec.clip_id}.telemetry.json").write_text(json.dumps(telemetry))
    return telemetry


def _worker(args: tuple[dict[str, Any], str]) -> tuple[str, dict[str, Any]]:
    spec = ClipSpec(**args[0])
    return spec.clip_id, render_clip(spec, Path(args[1]))


def render_all(specs: list[ClipSpec], out_dir: Path, processes: int = 2) -> dict[str, dict]:
    out_dir.mkdir(parents=True, exist_ok=True)
    ctx = mp.get_context("spawn")
    with ctx.Pool(processes, maxtasksperchild=1) as pool:
        return dict(pool.imap(_worker, [(asdict(s), str(out_dir)) for s in specs]))


def main() -> None:
    from evals.datasets.captions import write_manifest

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=Path("evals/datasets/sample"))
    ap.add_argument("--clips", type=int, default=30)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--processes", type=int, default=2)
    args = ap.parse_args()
    specs = plan(args.clips, args.seed)
    telemetry = render_all(specs, args.out, args.processes)
    n = write_manifest(specs, telemetry, args.out, seed=args.seed)
    print(f"wrote {n} clips, telemetry and manifest.jsonl to {args.out}")


if __name__ == "__main__":
    main()
