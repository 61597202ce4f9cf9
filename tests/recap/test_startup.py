"""`recap --help` and the command modules load none of the heavy libraries: each command imports
what it needs when it runs. (How long start-up takes is measured by benchmarks/startup.py.)"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = (
    "openai",
    "instructor",
    "httpx",
    "sqlalchemy",
    "av",
    "PIL",
    "numpy",
    "pyarrow",
    "streamlit",
    "jinja2",
    "sacrebleu",
    "pandas",
    "altair",
    "scipy",
    "sklearn",
)


def heavy_after(argv: list[str] | None, imports: str = "") -> list[str]:
    """The heavy libraries a fresh interpreter has loaded after `recap ARGV` (or, with no argv,
    after just the imports)."""
    run = (
        f"sys.argv = ['recap', *{argv!r}]\n"
        "from recap.main import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        if argv is not None
        else ""
    )
    code = (
        f"import sys, json\n{imports}\n{run}"
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]), file=sys.stderr)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stderr.strip().splitlines()[-1])


@pytest.mark.parametrize(
    "argv",
    [
        ["--help"],
        ["draft", "--help"],
        ["eval", "--help"],
        ["review", "--help"],
        ["demo", "--help"],
        ["check", "--help"],
        ["feedback", "--help"],
    ],
)
def test_help_loads_no_heavy_library(argv: list[str]) -> None:
    assert heavy_after(argv) == []


def test_command_modules_import_cheaply() -> None:
    modules = (
        "import agent.cli._commands, evals.commands, ui.commands, recap.check, recap.demo, "
        "recap.main"
    )
    assert heavy_after(None, modules) == []


def test_the_check_sees_a_command_that_does_load_one() -> None:
    """A check that cannot fail proves nothing: `recap prompts` renders templates (jinja2)."""
    assert "jinja2" in heavy_after(["prompts"])
