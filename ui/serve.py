"""The review page's server: Streamlit, with the page's own modules loaded before it answers.

Streamlit imports a page's modules on the first visit, so the first reviewer after
`recap review` waited for them (the store, PyAV, the spelling word list: about 1 s on a
2-core machine, ahead of and alongside the first clip). Loading them here, before the server
answers its health check, moves that wait to start-up. Run as `python -m ui.serve run APP
[streamlit options]`: the arguments are Streamlit's own.
"""

from __future__ import annotations

import importlib
import sys

PAGE_MODULES = (
    "agent.media._frames",
    "agent.media._playable",
    "agent.review._session",
    "agent.store",
    "agent.review._textdiff",
)


def warm() -> None:
    """Import what the page imports, and build the linter's word list once."""
    for name in (*PAGE_MODULES, "ui.auth"):
        importlib.import_module(name)
    from agent.guidelines import lint

    lint("The robot grasps the cube.")


def main() -> None:
    warm()
    from streamlit.web.cli import main as streamlit

    sys.argv = ["streamlit", *sys.argv[1:]]
    streamlit()


if __name__ == "__main__":
    main()
