"""The boundaries of docs/architecture.md, checked by walking the package's imports and calls."""

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "audifi_db"
PURE = (
    "model.py",
    "planning.py",
    "sql.py",
    "discovery.py",
    "erd.py",
    "events.py",
    "errors.py",
    "config.py",
    "config_sections.py",
    "fanout.py",
    "online.py",
    "failures.py",
    "templates.py",
    "revert.py",
    "lint/",
    "branches.py",
    "check_report.py",
    "github.py",
)
DRIVERS = {"psycopg2", "psycopg", "pgserver"}
# The library layer reaches the database through postgres/; everything else must not, even
# through another module's top-level import (cli/ imports lazily: every call pays for imports).
REACHES_DATABASE = (
    "postgres/",
    "runner.py",
    "strategies.py",
    "python_context.py",
    "guards.py",
    "operations/",
    "backup/",
)
# Who may read or write files and start processes.
FILE_IO = (
    "pgtools.py",
    "discovery.py",
    "config.py",
    "promotion.py",
    "lint/files.py",
    "schema_dump.py",
    "cli/",
    "backup/",
    "observe/",
)
SUBPROCESS = ("backup/process.py", "pgtools.py", "gitfacts.py")  # git for `check`


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


def top_level_imports(name: str, tree: ast.Module) -> set[str]:
    """Package modules (as relative paths) imported when `name` is imported: module-level
    imports only (those inside functions run later, if ever)."""
    package = name.rpartition("/")[0].split("/") if "/" in name else []
    found = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package[: len(package) - (node.level - 1)] if node.level > 1 else package
            parts = [*base, *(node.module.split(".") if node.module else [])]
            for alias in node.names:
                found |= {
                    "/".join([*parts, alias.name]) + ".py",
                    "/".join(parts) + ".py",
                    "/".join([*parts, alias.name, "__init__.py"]),
                    "/".join([*parts, "__init__.py"]),
                }
        elif isinstance(node, ast.Import | ast.ImportFrom) and not getattr(node, "level", 0):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
            )
            found |= {n.split(".")[0] for n in names}
    return found


def test_only_the_postgres_package_imports_the_driver():
    for name, tree in modules():
        uses_driver = any(n.split(".")[0] in DRIVERS for n in imported(tree))
        assert not uses_driver or name.startswith("postgres/"), name


def test_no_module_outside_the_library_layer_imports_the_driver_transitively():
    trees = dict(modules())
    graph = {name: top_level_imports(name, tree) for name, tree in trees.items()}

    def reaches(name: str, seen: set[str]) -> str | None:
        for target in graph.get(name, ()):
            if target in DRIVERS:
                return name
            if target in graph and target not in seen:
                seen.add(target)
                if found := reaches(target, seen):
                    return f"{name} -> {found}"
        return None

    for name in trees:
        if not name.startswith(REACHES_DATABASE):
            assert reaches(name, set()) is None, reaches(name, set())


def test_importing_the_cli_and_the_pure_modules_loads_no_driver():
    code = (
        "import sys, audifi_db.cli.main, audifi_db.planning, audifi_db.lint.engine, "
        "audifi_db.discovery, audifi_db.events, audifi_db.config;"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {DRIVERS!r}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_driver_loads_without_python_ssl_which_stays_importable_after():
    """`status` pays for every import: psycopg2 loads without `ssl` (and the connection
    module without `socket`, the parser without `shutil`), and code that needs TLS later
    (boto3, webhooks) still has it."""
    code = (
        "import sys, audifi_db.postgres.connect, audifi_db.planning, audifi_db.cli.main as m;"
        "m.build_parser('status').parse_args(['status']);"
        "import audifi_db.postgres.history;"
        "print(sorted(m for m in ('ssl', 'socket', 'random', 'shutil') if m in sys.modules));"
        "import ssl; ssl.create_default_context(); print('ssl ok')"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split("\n")[:2] == ["[]", "ssl ok"]


def test_pure_modules_do_not_reach_the_database():
    for name, tree in modules():
        if name.startswith(PURE):
            assert not any("postgres" in n for n in imported(tree)), name


def calls(tree: ast.Module, *names: str) -> list[int]:
    """Lines calling a function or method of one of these names."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            if called in names:
                found.append(node.lineno)
    return found


def test_only_the_cli_prints():
    for name, tree in modules():
        if name.startswith("cli/"):
            continue
        writes = [
            node.lineno
            for node in ast.walk(tree)
            if isinstance(node, ast.Attribute)
            and node.attr in ("stdout", "stderr")
            and getattr(node.value, "id", None) == "sys"
        ]
        assert not calls(tree, "print") and not writes, f"{name} prints"


def test_only_the_modules_meant_for_it_open_files():
    for name, tree in modules():
        if name.startswith(FILE_IO):
            continue
        lines = calls(tree, "open", "read_text", "read_bytes", "write_text", "write_bytes")
        assert not lines, f"{name} reads or writes files at lines {lines}"


def test_only_the_modules_meant_for_it_start_processes():
    for name, tree in modules():
        if name.startswith(SUBPROCESS):
            continue
        starts = any(n.split(".")[0] == "subprocess" for n in imported(tree))
        assert not starts and not calls(tree, "system", "popen", "fork"), name


def test_only_the_s3_module_imports_boto3():
    for name, tree in modules():
        if any(n.split(".")[0] in {"boto3", "botocore", "s3transfer"} for n in imported(tree)):
            assert name == "backup/s3.py", name


def test_every_operation_is_what_its_name_says_after_every_submodule_is_imported():
    import importlib

    from audifi_db import operations

    for module in set(operations._MODULES.values()):
        importlib.import_module(f"audifi_db.operations.{module}")
    for name in operations.__all__:
        assert not isinstance(getattr(operations, name), type(operations)), name


def test_threads_start_only_through_the_module_that_blocks_signals_in_them():
    for name, tree in modules():
        if name == "threads.py":
            continue
        assert not calls(tree, "Thread", "Timer"), f"{name} starts a thread directly"
