"""The `recap` command line: each package registers its own commands here, and `demo` runs the
whole loop across them."""

from __future__ import annotations

import agent.cli._commands
import evals.commands
import ui.commands
from agent.cli import new_app
from recap import check, demo

app = new_app(
    name="recap",
    help="Review AI-generated captions of robot videos: flag hallucinations and omissions, "
    "draft a rewrite.",
)
for package in (agent.cli._commands, ui.commands, evals.commands, check, demo):
    package.register(app)


def main() -> None:
    app()
