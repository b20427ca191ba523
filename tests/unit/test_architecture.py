"""The boundaries of architecture.md, checked by walking the package's imports and calls."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "audifi_db"
PURE = (
    "model.py",
    "planning.py",
    "sql.py",
    "discovery.py",
    "erd.py",
    "lint",
    "branches.py",
    "check_report.py",
)
# The modules meant to start processes: git for `check`.
RUNS_PROCESSES = ("gitfacts.py",)


def modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        yield path.relative_to(PACKAGE).as_posix(), ast.parse(path.read_text())


def imported(tree: ast.Module) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = "." * node.level + (node.module or "")
            names.add(base)
            names |= {f"{base}.{alias.name}" for alias in node.names}
    return names


def test_only_the_postgres_package_imports_the_driver():
    for name, tree in modules():
        uses_driver = any(
            n.split(".")[0] in {"psycopg2", "psycopg", "pgserver"} for n in imported(tree)
        )
        assert not uses_driver or name.startswith("postgres/"), name


def test_pure_modules_do_not_reach_the_database():
    for name, tree in modules():
        if name.startswith(PURE):
            assert not any("postgres" in n for n in imported(tree)), name


def test_only_the_cli_prints():
    for name, tree in modules():
        if name.startswith("cli/") or name.endswith("docs.py"):
            continue
        prints = [
            node.lineno
            for node in ast.walk(tree)
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "print"
        ]
        assert not prints, f"{name} prints at lines {prints}"


def test_only_the_modules_meant_for_it_start_processes():
    for name, tree in modules():
        starts = {"subprocess", "pty", "multiprocessing"} & {
            n.split(".")[0] for n in imported(tree)
        }
        assert not starts or name in RUNS_PROCESSES, f"{name} imports {starts}"
