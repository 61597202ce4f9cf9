"""Start the real review page (the same Streamlit command `recap review` runs) on a free port."""

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.ui.patience import SAFETY_S
from ui.commands import streamlit_command

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def page_server(db_url: str, cache_dir: Path, **env_extra: str) -> Iterator[str]:
    """Yield the page's URL once Streamlit answers its health check; stop it afterwards."""
    port = free_port()
    env = dict(os.environ, RECAP_DB=db_url, RECAP_CACHE_DIR=str(cache_dir), **env_extra)
    # the checkout under test, not whatever `agent` the environment has installed
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    proc = subprocess.Popen(
        streamlit_command("127.0.0.1", port),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + SAFETY_S  # a safety net: the wait is for the answer
        while True:
            try:
                urllib.request.urlopen(f"{url}/_stcore/health", timeout=5)
                break
            except OSError:
                if proc.poll() is not None:
                    raise RuntimeError("streamlit exited before answering") from None
                if time.monotonic() > deadline:
                    raise RuntimeError(f"streamlit did not answer in {SAFETY_S:.0f} s") from None
                time.sleep(0.25)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
