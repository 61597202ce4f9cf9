"""`recap draft --engine ray --address HOST:PORT` with no cluster there: one line naming the
address and what to check, no traceback, a non-zero exit, and no clip blamed."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from agent.data import ingest
from agent.errors import RecapError
from agent.runs._ray import check_cluster
from agent.store import Store
from tests.agent.runs.test_jobs import make_dataset
from tests.conftest import recap_env
from tests.fake_openai import FakeOpenAI


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then closed)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_unreachable_cluster_ends_in_one_line(tmp_path: Path, fake: FakeOpenAI) -> None:
    db = tmp_path / "r.db"
    ingest(Store(db), make_dataset(tmp_path / "ds", 3))
    address = f"127.0.0.1:{closed_port()}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "RECAP_"))}
    env |= recap_env(fake, db) | {"COLUMNS": "250"}
    proc = subprocess.run(
        [sys.executable, "-m", "recap", "draft", "--engine", "ray", "--address", address],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,  # a safety net: the refusal is immediate
    )
    assert proc.returncode == 1, proc.stderr
    said = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(said) == 1, proc.stderr
    assert said[0].startswith(f"Error: No Ray cluster answers at {address} (connection refused)")
    assert "ray status" in said[0] and "Traceback" not in proc.stderr + proc.stdout
    assert fake.requests == [] and Store(db).runs.errors(Store(db).runs.all()[0].name) == []


@pytest.mark.parametrize("address", ["10.0.0.5", "10.0.0.5:port", "ray://head"])
def test_an_address_without_a_port_is_refused_before_connecting(address: str) -> None:
    with pytest.raises(RecapError, match="is not HOST:PORT"):
        check_cluster(address)


def test_auto_and_local_are_left_to_ray() -> None:
    check_cluster("auto")
    check_cluster("local")
