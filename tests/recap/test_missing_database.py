"""A command that only reads, pointed at a database that does not exist, says so and exits
non-zero, and leaves no empty database behind (the newcomer who ran `recap demo` and then
`recap runs` in another folder)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from recap.demo import SAMPLE_MANIFEST
from recap.main import app

runner = CliRunner()
READ_ONLY = [
    ["runs"],
    ["runs", "--errors", "r"],
    ["report"],
    ["team"],
    ["export", "--out", "out.jsonl"],
    ["lint", "--run", "r"],
    ["users", "list"],
    ["users", "remove", "ann@example.com"],
    ["eval", "score", "r", "--gold", str(SAMPLE_MANIFEST)],
    ["eval", "promote", "--out", "gold.jsonl"],
    ["review", "--run", "r"],
    ["route", "calibrate", "--run", "r", "--reviewed", "--alpha", "0.1"],
    ["route", "apply", "--run", "r"],
    ["route", "status", "--run", "r"],
]


@pytest.mark.parametrize("args", READ_ONLY, ids=[" ".join(a[:2]) for a in READ_ONLY])
@pytest.mark.parametrize("where", ["default", "--db", "RECAP_DB"])
def test_read_only_commands_refuse_a_missing_database(
    args: list[str], where: str, tmp_path: Path
) -> None:
    db = tmp_path / ("recap.db" if where == "default" else "elsewhere.db")
    env = {"COLUMNS": "200"}
    if where == "--db":
        args = [*args, "--db", str(db)]
    elif where == "RECAP_DB":
        env["RECAP_DB"] = str(db)
    r = runner.invoke(app, args, env=env)
    assert r.exit_code != 0
    said = " ".join(r.output.split())
    assert f"No database at {db.resolve()}" in said and "--db" in said
    assert "Traceback" not in said
    assert not db.exists() and list(tmp_path.iterdir()) == []


def test_commands_that_write_still_create_the_database(tmp_path: Path) -> None:
    r = runner.invoke(app, ["users", "add", "ann@example.com"], env={"COLUMNS": "200"})
    assert r.exit_code == 0, r.output
    assert (tmp_path / "recap.db").is_file()
    listed = runner.invoke(app, ["users", "list"], env={"COLUMNS": "200"})
    assert listed.exit_code == 0 and "ann@example.com" in listed.stdout
