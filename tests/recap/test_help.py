"""`--help` of every command: a flag shows no value type (`--json`, not `--json <bool>`), an
option that takes a value keeps its type."""

from __future__ import annotations

import typer
from typer.testing import CliRunner

from recap.main import app

runner = CliRunner()


def command_paths() -> list[list[str]]:
    root = typer.main.get_command(app)
    paths: list[list[str]] = [[]]

    def walk(group: object, prefix: list[str]) -> None:
        for name, cmd in getattr(group, "commands", {}).items():
            paths.append([*prefix, name])
            walk(cmd, [*prefix, name])

    walk(root, [])
    return paths


def test_flags_show_no_value_type_in_any_help() -> None:
    paths = command_paths()
    assert ["draft-one"] in paths and ["users", "list"] in paths and ["eval", "run"] in paths
    for path in paths:
        r = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "200"})
        assert r.exit_code == 0, (path, r.output)
        assert "<bool>" not in r.output, path
        assert "--help" in r.output


def test_options_that_take_a_value_keep_their_type() -> None:
    r = runner.invoke(app, ["draft-one", "--help"], env={"COLUMNS": "200"})
    caption = next(line for line in r.output.splitlines() if "--caption" in line)
    as_json = next(line for line in r.output.splitlines() if "--json" in line)
    assert "<str>" in caption and "<" not in as_json
