"""Drives JupyterLab in Debian's Chromium for the browser tests: a server on loopback, a page, screenshots."""

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest
from playwright.sync_api import Locator, Page, expect

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM_VARIABLE = "COURSE_CHROMIUM"
ARTIFACTS_VARIABLE = "COURSE_TEST_ARTIFACTS"
REQUIRE_VARIABLE = "COURSE_REQUIRE_BROWSER"
# Chromium on a machine with no network, often as root: no sandbox, no GPU, nothing that reaches out by itself.
CHROMIUM_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
]  # fmt: skip
# JupyterLab settings for a test: every cell in the page (no virtual scrolling), no news or update checks.
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false", "checkForUpdates": False},
}


@dataclass(frozen=True)
class LabServer:
    """A running JupyterLab: where it serves, with which token, and the folder it serves."""

    url: str
    token: str
    folder: Path

    def notebook_url(self, name: str) -> str:
        """The address that opens a notebook of the served folder in JupyterLab."""
        return f"{self.url}/lab/tree/{name}?token={self.token}"


def chromium_path() -> Path | None:
    """Debian's Chromium, or the browser $COURSE_CHROMIUM names; None when it is not installed."""
    path = os.environ.get(CHROMIUM_VARIABLE) or shutil.which("chromium") or "/usr/bin/chromium"
    return Path(path) if Path(path).is_file() else None


def require_chromium() -> Path:
    """Debian's Chromium, or a skip saying how to get it (a failure where $COURSE_REQUIRE_BROWSER is set, as in CI)."""
    path = chromium_path()
    if path is None:
        reason = "Chromium not found (set COURSE_CHROMIUM, or install Debian's chromium package, as .ci/run does)"
        if os.environ.get(REQUIRE_VARIABLE):
            pytest.fail(reason)
        pytest.skip(reason)
    return path


def artifacts_folder() -> Path:
    """Where screenshots go: $COURSE_TEST_ARTIFACTS, else test-artifacts/browser in the checkout (git ignores it)."""
    folder = Path(os.environ.get(ARTIFACTS_VARIABLE) or ROOT / "test-artifacts" / "browser")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@contextmanager
def lab_server(folder: Path, scratch: Path) -> Iterator[LabServer]:
    """JupyterLab serving `folder` on loopback, with settings and workspaces of its own; stopped with its kernels."""
    settings = scratch / "settings"
    for name, values in LAB_SETTINGS.items():
        target = settings / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(values), encoding="utf-8")
    port, token = _free_port(), secrets.token_hex(16)
    command = [
        sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
        f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={folder}", f"--LabApp.user_settings_dir={settings}",
        f"--LabApp.workspaces_dir={scratch / 'workspaces'}", "--LabApp.news_url=", "--ServerApp.open_browser=False",
    ]  # fmt: skip
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    log = (scratch / "jupyterlab.log").open("w")
    server = subprocess.Popen(command, cwd=folder, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_until_answering(f"{url}/api/status?token={token}", server, scratch / "jupyterlab.log")
        yield LabServer(url, token, folder)
    finally:
        _stop(server)
        log.close()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_answering(url: str, server: subprocess.Popen[bytes], log: Path, seconds: float = 120) -> None:
    """Wait for the server's API to answer; fail with its log if it ended or never answered."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"JupyterLab ended at start:\n{log.read_text(encoding='utf-8')[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"JupyterLab did not answer within {seconds} s:\n{log.read_text(encoding='utf-8')[-3000:]}")


def _stop(server: subprocess.Popen[bytes]) -> None:
    """Ask JupyterLab to stop (it shuts its kernels down), then kill whatever is left."""
    server.terminate()
    with suppress(subprocess.TimeoutExpired):
        server.wait(timeout=20)
    try:
        for process in [*psutil.Process(server.pid).children(recursive=True), psutil.Process(server.pid)]:
            process.kill()
    except psutil.NoSuchProcess:
        pass
    server.wait()


def assert_the_playground_renders(page: Page) -> None:
    """The lesson's playground widget is drawn with its inspector: no widget error, none still loading."""
    playground = page.locator(".course-playground")
    playground.scroll_into_view_if_needed()
    playground.wait_for(state="visible")
    expect(playground.locator(".course-inspector")).to_have_count(1)
    expect(playground.locator(".course-inspector")).to_contain_text("Objects: none")
    expect(page.get_by_text("Error displaying widget")).to_have_count(0)
    expect(page.get_by_text("Loading widget")).to_have_count(0)


def commit_a_duplicate_email(page: Page) -> Locator:
    """In the playground, add Nova Yuni with Ann's email and commit: the database refuses it. The playground."""
    playground = page.locator(".course-playground")
    for field, value in zip(
        playground.locator("input[type=text]").all(), ["Nova", "Yuni", "ann.adams@example.com"], strict=True
    ):
        field.fill(value)
    playground.get_by_role("button", name="Add").click()
    expect(playground.locator(".course-explanation")).to_contain_text("pending")
    playground.get_by_role("button", name="Commit").click()
    expect(playground.locator(".course-explanation")).to_contain_text("refused")
    expect(playground).to_contain_text("ann.adams@example.com is already used by another reader")
    return playground


def roll_back_and_read_the_inspector(page: Page, playground: Locator, *expected: str) -> str:
    """Click Rollback and wait until the session is usable again and the inspector, refreshed, shows each of
    `expected` (its explanation and its view are two widgets, updated one after the other); return what it shows."""
    playground.get_by_role("button", name="Rollback").click()
    expect(playground.locator(".course-explanation")).to_contain_text("usable again")
    inspector = playground.locator(".course-inspector")
    for text in expected:
        expect(inspector).to_contain_text(text)
    return inspector.inner_text()
