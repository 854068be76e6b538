"""Debian's Chromium, driven by Playwright, for the browser tests.

Playwright's own browser download does not work offline, so the tests launch the system
Chromium at /usr/bin/chromium. When it is missing, the set-up installs it with apt-get
(as root, where apt is available) or skips the browser tests saying how to install it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser

CHROMIUM = Path("/usr/bin/chromium")
# ../shared/ENVIRONMENT.md: headless, no sandbox (containers run as root), nothing phoning
# home. Playwright gives every launch a fresh temporary profile (--user-data-dir) itself
# and refuses one passed in args, so none is passed here.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",  # small /dev/shm in containers crashes tabs
]
INSTALL_TIMEOUT_S = 900


def find_chromium() -> Path | None:
    """Return the Chromium executable to use, or None when there is none."""
    override = os.environ.get("KOTAE_CHROMIUM")
    candidates = [Path(override)] if override else [CHROMIUM]
    found = shutil.which("chromium")
    if found:
        candidates.append(Path(found))
    return next((path for path in candidates if path.is_file() and os.access(path, os.X_OK)),
                None)


def _can_install() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get") is not None


def install_chromium() -> None:
    """Install Debian's chromium package with apt-get (needs root and the Debian mirror)."""
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update", "-q"], ["apt-get", "install", "-y", "-q", "chromium"]):
        print(f"browser tests: running {' '.join(command)}", file=sys.stderr)
        result = subprocess.run(command, env=env, capture_output=True, text=True,
                                timeout=INSTALL_TIMEOUT_S, check=False)
        if result.returncode != 0:
            tail = (result.stderr or result.stdout)[-800:]
            raise RuntimeError(f"{' '.join(command)} failed ({result.returncode}): {tail}")


def ensure_chromium() -> Path:
    """Return Chromium's path, installing it when possible, else skip the calling test."""
    path = find_chromium()
    if path is not None:
        return path
    if not _can_install():
        pytest.skip(f"browser tests need Chromium at {CHROMIUM}: install it with "
                    "`sudo apt-get install chromium` (Debian/Ubuntu) or set KOTAE_CHROMIUM "
                    "to a Chromium executable")
    try:
        install_chromium()
    except (OSError, RuntimeError, subprocess.TimeoutExpired) as exc:
        pytest.skip(f"browser tests need Chromium and installing it failed: {exc}")
    path = find_chromium()
    if path is None:
        pytest.skip(f"apt-get installed chromium but {CHROMIUM} is still missing")
    return path


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    """The Chromium executable (installed on first use where possible)."""
    return ensure_chromium()


@pytest.fixture(scope="session")
def browser(chromium_path: Path) -> Iterator[Browser]:
    """One headless Chromium for the whole session; tests open their own contexts."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("browser tests need the `playwright` Python package (pip install "
                    "playwright); its browser download is not needed")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(chromium_path), headless=True,
                                              args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()
