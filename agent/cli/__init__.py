"""The command line's shared plumbing (consoles, the settings flags, one place where a
`RecapError` becomes a message and an exit code) and the library's own commands.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from agent._exports import lazy_exports

if TYPE_CHECKING:
    from agent.cli._app import (
        MODEL_FLAGS,
        DbOpt,
        IdsOpt,
        RecapGroup,
        SetsOpt,
        err,
        model_flags,
        new_app,
        out,
        pick_run,
        report,
        selection_from,
        settings_from,
        term,
    )
    from agent.cli._commands import register
    from agent.cli._guidelines import GuidelinesOpt
    from agent.cli._progress import outcome
    from agent.cli._route import print_routing

_WHERE = {
    "DbOpt": "agent.cli._app",
    "IdsOpt": "agent.cli._app",
    "SetsOpt": "agent.cli._app",
    "pick_run": "agent.cli._app",
    "selection_from": "agent.cli._app",
    "MODEL_FLAGS": "agent.cli._app",
    "RecapGroup": "agent.cli._app",
    "err": "agent.cli._app",
    "model_flags": "agent.cli._app",
    "new_app": "agent.cli._app",
    "out": "agent.cli._app",
    "report": "agent.cli._app",
    "settings_from": "agent.cli._app",
    "term": "agent.cli._app",
    "register": "agent.cli._commands",
    "GuidelinesOpt": "agent.cli._guidelines",
    "outcome": "agent.cli._progress",
    "print_routing": "agent.cli._route",
}
__all__ = [
    "MODEL_FLAGS",
    "DbOpt",
    "GuidelinesOpt",
    "IdsOpt",
    "RecapGroup",
    "SetsOpt",
    "err",
    "model_flags",
    "new_app",
    "out",
    "outcome",
    "pick_run",
    "print_routing",
    "register",
    "report",
    "selection_from",
    "settings_from",
    "term",
]
__getattr__ = lazy_exports(__name__, _WHERE)
