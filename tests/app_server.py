"""Start ``twidgets app`` as a subprocess for tests (used by tests/test_app.py and tests/e2e/)."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

URL_RE = re.compile(r"(http://\S+/)")
ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
#: Where browser tests save screenshots: the README's docs/screenshots only when asked to update them.
SCREENSHOTS = (
    ROOT / "docs" / "screenshots" if os.environ.get("TWIDGETS_UPDATE_SCREENSHOTS") == "1" else ARTIFACTS / "screenshots"
)


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def twidgets_command() -> list[str]:
    """The installed ``twidgets`` console script (next to this Python, else on PATH)."""
    exe = Path(sys.executable).with_name("twidgets")
    if exe.exists():
        return [str(exe)]
    found = shutil.which("twidgets")
    if found:
        return [found]
    raise RuntimeError("the `twidgets` command is not installed (pip install -e '.[test]')")


class AppProcess:
    """A running ``twidgets app``; collects its stdout/stderr lines; ``url`` once serving."""

    def __init__(self, args, *, cwd=None, env=None, command=None):
        cmd = (command or twidgets_command() + ["app"]) + list(args)
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        self.url: str | None = None
        self._url_seen = threading.Event()
        self.proc = subprocess.Popen(
            cmd,
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            bufsize=1,
            start_new_session=True,
        )
        self._threads = [
            threading.Thread(target=self._pump, args=(self.proc.stdout, self.stdout, True), daemon=True),
            threading.Thread(target=self._pump, args=(self.proc.stderr, self.stderr, False), daemon=True),
        ]
        for t in self._threads:
            t.start()

    def _pump(self, stream, sink, look_for_url):
        for line in stream:
            sink.append(line)
            if look_for_url and self.url is None:
                m = URL_RE.search(line)
                if m:
                    self.url = m.group(1)
                    self._url_seen.set()
        if look_for_url:
            self._url_seen.set()  # EOF: stop waiting

    def wait_url(self, timeout: float = 90.0) -> str:
        """Wait for the URL line; raise with the process's output if it never comes."""
        self._url_seen.wait(timeout)
        if self.url is None:
            self.stop()
            raise AssertionError(
                f"`twidgets app` printed no URL within {timeout} s; rc={self.proc.returncode}\n"
                f"stdout:\n{''.join(self.stdout)}\nstderr:\n{''.join(self.stderr)}"
            )
        return self.url

    def wait_for_stderr(self, pattern: str, timeout: float = 30.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(re.search(pattern, line) for line in list(self.stderr)):
                return True
            time.sleep(0.1)
        return False

    def stop(self) -> None:
        """SIGTERM the launcher (it stops Voila), then make sure the whole group is gone."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                pass
        try:  # the launcher runs in its own session: clean up anything it left behind
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        if self.proc.poll() is None:
            self.proc.wait(timeout=5)
        for t in self._threads:
            t.join(timeout=5)


#: Browser-side test (Playwright ``wait_for_function``) that the app's page has run its notebook
#: and drawn every figure: each ``Plot`` widget (``.tw-plot``) marks the revision it drew in
#: ``data-tw-rev``; the inspector's headline is on screen.
FIGURES_DRAWN = """() => {
  const plots = document.querySelectorAll('.tw-plot');
  return plots.length > 0
    && document.querySelectorAll('.tw-plot[data-tw-rev]').length === plots.length
    && document.querySelector('.twidgets-inspector .tw-f1') !== null;
}"""


@contextmanager
def served_app(*, preheat: int, max_sessions: int) -> Iterator[AppProcess]:
    """``twidgets app --no-browser`` on a free port with these limits, stopped afterwards."""
    args = ["--no-browser", "--port", str(free_port()), "--preheat", str(preheat), "--max-sessions", str(max_sessions)]
    app = AppProcess(args)
    try:
        app.wait_url()
        yield app
    finally:
        app.stop()
