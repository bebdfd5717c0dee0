"""Shared fixtures: paths to the repository's scenarios, a CLI runner, and the browser the
page tests drive (the system Chromium, installed on first use when missing)."""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent

CHROMIUM = Path("/usr/bin/chromium")
"""The Debian package ``chromium``: the browser the page tests drive."""
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


@pytest.fixture(autouse=True)
def _repo_cwd(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests run from the repository root, as the README's commands do."""
    monkeypatch.chdir(ROOT)
    os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture
def root() -> Path:
    return ROOT


@contextlib.contextmanager
def _install_lock() -> Iterator[None]:
    """One installer at a time across test workers (apt and dpkg take one client each)."""
    path = Path(tempfile.gettempdir()) / "deconflict-browser-install.lock"
    with open(path, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _is_debian_root() -> bool:
    return (
        Path("/etc/debian_version").exists() and os.geteuid() == 0 and bool(shutil.which("apt-get"))
    )


def _get_chromium(bundled: Callable[[], str]) -> tuple[str | None, list[str]]:
    """The path of a Chromium to drive, installing one if needed; and what was tried.

    ``bundled`` gives the path where Playwright's own download of Chromium would be."""
    tried: list[str] = []
    if CHROMIUM.exists():
        return str(CHROMIUM), tried
    with _install_lock():
        if CHROMIUM.exists():  # another worker installed it meanwhile
            return str(CHROMIUM), tried
        if _is_debian_root():
            for cmd in (
                ["apt-get", "update"],
                ["apt-get", "install", "-y", "-o", "DPkg::Lock::Timeout=600", "chromium"],
            ):
                env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
                res = subprocess.run(cmd, capture_output=True, text=True, env=env)
                tried.append(f"`{' '.join(cmd)}` exited {res.returncode}: {res.stderr[-300:]}")
                if res.returncode != 0:
                    break
            if CHROMIUM.exists():
                return str(CHROMIUM), tried
        cmd = [sys.executable, "-m", "playwright", "install", "chromium"]
        res = subprocess.run(cmd, capture_output=True, text=True)
        tried.append(f"`{' '.join(cmd[1:])}` exited {res.returncode}: {res.stderr[-300:]}")
        path = bundled()
        return (path if path and Path(path).exists() else None), tried


@pytest.fixture(scope="session")
def chromium_path(playwright: Any) -> str:
    """The system Chromium (``/usr/bin/chromium``), installed on first use when missing:
    with apt-get as root on Debian, else Playwright's own download. A page test never skips:
    without a browser it fails, saying what was tried."""
    path, tried = _get_chromium(lambda: playwright.chromium.executable_path)
    if path is None:
        pytest.fail(
            "no Chromium for the page tests: /usr/bin/chromium is missing and could not be "
            "installed (install the Debian package `chromium`, or run "
            "`python -m playwright install chromium`). Tried: " + " | ".join(tried),
            pytrace=False,
        )
    return path


@pytest.fixture(scope="session")
def browser_type_launch_args(chromium_path: str) -> dict[str, Any]:
    """pytest-playwright launches this browser, headless, with the network switched off."""
    return {"executable_path": chromium_path, "headless": True, "args": CHROMIUM_ARGS}
