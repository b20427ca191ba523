"""The boundaries of architecture.md, checked by walking the package's imports and calls."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "audifi_db"
PURE = ("model.py", "planning.py", "sql.py", "discovery.py", "erd.py", "lint")


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


def test_only_the_backup_process_module_starts_processes():
    for name, tree in modules():
        if any(n.split(".")[0] == "subprocess" for n in imported(tree)):
            assert name == "backup/process.py", name


def test_only_the_s3_module_imports_boto3():
    for name, tree in modules():
        if any(n.split(".")[0] in {"boto3", "botocore", "s3transfer"} for n in imported(tree)):
            assert name == "backup/s3.py", name
