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
from dataclasses import asdict
from fractions import Fraction
from pathlib import Path
from typing import Any

from evals.datasets.mistakes import write_manifest
from evals.datasets.tasks import TASKS, ClipSpec, plan

FPS = 30
STEPS = 150  # 5 s
SIZE = (400, 300)


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
