"""CI runs the suite the same way every time: the derandomized hypothesis profile, chosen by
the CI variable the CI script exports."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_ci_script_exports_ci_before_pytest() -> None:
    script = (ROOT / ".ci" / "run").read_text()
    exported = re.search(r"^export CI=1$", script, re.M)
    pytest_runs = re.search(r"^pytest\b", script, re.M)
    assert exported and pytest_runs and exported.start() < pytest_runs.start()


def derandomized(env: dict[str, str]) -> str:
    probe = "import tests.conftest; from hypothesis import settings; "
    probe += "print(settings.default.derandomize)"
    run = subprocess.run([sys.executable, "-c", probe], env=env, cwd=ROOT, capture_output=True)
    assert run.returncode == 0, run.stderr
    return run.stdout.decode().strip()


def test_with_ci_set_the_property_tests_are_derandomized() -> None:
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    assert (derandomized(env | {"CI": "1"}), derandomized(env)) == ("True", "False")
