"""`recap review` stopped by SIGTERM (kill, systemd, a container stopping) or SIGHUP (the
terminal closing) cleans up as after Ctrl-C: the page's server stopped with it, and the
temporary secrets file (the sign-in client's secret and the cookie secret) gone (issue 21)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from agent.review import add_user
from agent.store import Store
from tests.ui.pageserver import ROOT, free_port
from tests.ui.test_signin_e2e import COOKIE_SECRET, wait_up


def children(pid: int) -> list[int]:
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    return [int(p) for p in text.split()]


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return Path(f"/proc/{pid}/stat").read_text().split(") ")[1].startswith("Z")


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux's /proc")
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_a_stopped_review_stops_its_server_and_leaves_no_secrets(
    review_db: str, tmp_path: Path, signum: int
) -> None:
    add_user(Store(review_db), "ann@example.com", "reviewer")
    temp = tmp_path / "tmp"
    temp.mkdir()
    port = free_port()
    env = dict(
        os.environ,
        TMPDIR=str(temp),  # where recap review writes its secrets file
        RECAP_CACHE_DIR=str(tmp_path / "cache"),
        RECAP_AUTH_SERVER_METADATA_URL="http://127.0.0.1:9/.well-known/openid-configuration",
        RECAP_AUTH_CLIENT_ID="recap-test",
        RECAP_AUTH_CLIENT_SECRET="test-client-secret",
        RECAP_AUTH_COOKIE_SECRET=COOKIE_SECRET,
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    )
    cmd = [sys.executable, "-m", "recap", "review", "--db", review_db, "--run", "r1"]
    proc = subprocess.Popen(
        [*cmd, "--port", str(port), "--host", "127.0.0.1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_up(f"http://127.0.0.1:{port}/_stcore/health", proc, "recap review")
        (secrets,) = temp.glob("recap-auth-*/secrets.toml")  # there while it serves
        assert COOKIE_SECRET in secrets.read_text()
        (server,) = children(proc.pid)
        proc.send_signal(signum)  # to recap alone, as kill PID or a closing terminal sends it
        status = proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert status == 128 + signum, proc.stdout.read().decode()[-2000:]
    assert list(temp.iterdir()) == []
    assert gone(server)
    with socket.socket() as s, pytest.raises(ConnectionRefusedError):
        s.connect(("127.0.0.1", port))
