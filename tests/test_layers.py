"""The house rules for imports, checked on the source: the library (agent/) never reaches up into
the eval harness (evals/), the page (ui/) or the command line (recap/); evals/ never imports ui/;
nothing imports recap/; and no module takes part in an import cycle. Imports inside functions
count like any other."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("agent", "evals", "ui", "recap")
FORBIDDEN = {
    "agent": {"evals", "ui", "recap"},
    "evals": {"ui", "recap"},
    "ui": {"recap"},
    "recap": set(),
}


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")}


def imported(path: Path, known: dict[str, Path], root: Path = ROOT) -> Iterator[str]:
    """First-party modules a file imports, anywhere in it: `from pkg import sub` names the
    submodule when there is one."""
    me = module_name(path, root)
    package = me if path.name == "__init__.py" else me.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in PACKAGES:
                    yield alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] not in PACKAGES:
                continue
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                yield sub if sub in known else target


def graph() -> dict[str, set[str]]:
    known = modules()
    return {m: {t for t in imported(p, known) if t in known and t != m} for m, p in known.items()}


def test_no_upward_imports() -> None:
    bad = [
        f"{m} imports {t}"
        for m, targets in graph().items()
        for t in targets
        if t.split(".")[0] in FORBIDDEN[m.split(".")[0]]
    ]
    assert bad == []


def test_no_import_cycles() -> None:
    g = graph()
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1 on the stack, 2 done
    stack: list[str] = []

    def visit(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for t in sorted(g[m]):
            if state.get(t) == 1:
                cycles.append([*stack[stack.index(t) :], t])
            elif t not in state:
                visit(t)
        stack.pop()
        state[m] = 2

    for m in sorted(g):
        if m not in state:
            visit(m)
    assert cycles == []


def test_the_checker_sees_function_level_imports(tmp_path: Path) -> None:
    """A checker that cannot fail proves nothing: it must see an import inside a function."""
    known = modules()
    probe = ROOT / "agent" / "runs" / "_local.py"
    assert "agent.runs._ledger" in set(imported(probe, known))
    fake = tmp_path / "agent" / "probe.py"
    fake.parent.mkdir()
    fake.write_text("def f():\n    from evals.gold import load_gold\n    return load_gold\n")
    assert "evals.gold" in set(imported(fake, known, root=tmp_path))
