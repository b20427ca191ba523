"""Fixtures of the observe tests: loopback webhooks and a headless Chromium. Imported by the
test modules that use them (a second conftest.py would shadow tests/conftest.py, which other
tests import by name), under names of their own so that a test's argument does not
shadow the import."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from observe_helpers import Webhook

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(name="webhook")
def webhook_fixture():
    hook = Webhook()
    yield hook
    hook.close()


@pytest.fixture(name="webhook_factory")
def webhook_factory_fixture():
    made: list[Webhook] = []

    def make(**kwargs) -> Webhook:
        made.append(Webhook(**kwargs))
        return made[-1]

    yield make
    for hook in made:
        hook.close()


def _install_chromium() -> str:
    """Debian's chromium package, installed with apt-get when missing (as root); the reason
    it could not be, or ''."""
    if CHROMIUM.exists():
        return ""
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return "run the tests as root on Debian, or `sudo apt-get install -y chromium`"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    lock = ["-o", "DPkg::Lock::Timeout=600"]
    for command in (
        ["apt-get", *lock, "update", "-q"],
        ["apt-get", *lock, "install", "-y", "-q", "chromium"],
    ):
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=1200)
        if done.returncode != 0:
            return f"`{' '.join(command)}` failed: {done.stderr.strip()[-500:]}"
    return "" if CHROMIUM.exists() else f"apt-get installed chromium, yet {CHROMIUM} is missing"


@pytest.fixture(scope="session", name="browser")
def browser_fixture():
    """A headless Chromium (Debian's, driven by Playwright: no browser download)."""
    why = _install_chromium()
    if why:
        pytest.fail(f"the report tests need Debian's chromium at {CHROMIUM}: {why}", pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
