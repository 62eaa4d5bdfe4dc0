"""Run the real ``tpublish`` command in tests, in-process (click's runner) or as a subprocess."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from click.testing import CliRunner

from terminal import Rendered, pseudo_terminal, render
from tpublish.cli.main import main

if TYPE_CHECKING:
    from fakeindex import FakeIndex


@dataclass(frozen=True)
class Run:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def tpublish(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> Run:
    """Invoke the CLI in-process with ``env`` added to the (isolated) environment."""
    runner = CliRunner()
    old = Path.cwd()
    try:
        if cwd is not None:
            os.chdir(cwd)
        result = runner.invoke(main, list(args), env=env, catch_exceptions=False)
    finally:
        os.chdir(old)
    return Run(result.exit_code, result.stdout, result.stderr)


def tpublish_process(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None, timeout: float = 120
) -> Run:
    """Invoke ``python -m tpublish`` as a separate process, as a user or CI script would."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    completed = subprocess.run(
        [sys.executable, "-m", "tpublish", *args],
        env=full_env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )
    return Run(completed.returncode, completed.stdout, completed.stderr)


def tpublish_started(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """Start ``python -m tpublish`` as a subprocess with ``env`` added to the environment, its
    stdout and stderr on pipes, for a test that acts while it runs."""
    return subprocess.Popen(
        [sys.executable, "-m", "tpublish", *args],
        env={**os.environ, **(env or {})},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def tpublish_interrupted(
    *args: str,
    ready: Callable[[subprocess.Popen[str]], object],
    env: dict[str, str] | None = None,
    timeout: float = 30,
) -> Run:
    """Run ``python -m tpublish`` as a subprocess and press Ctrl-C (SIGINT) once ``ready`` returns;
    the run as it ended. ``ready`` waits for the moment (it may read the process's stderr)."""
    process = tpublish_started(*args, env=env)
    try:
        ready(process)
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=timeout)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    return Run(process.returncode, stdout, stderr)


def wait_until(condition: Callable[[], bool], timeout: float = 30) -> bool:
    """Poll ``condition`` until it holds or ``timeout`` seconds have passed; whether it holds."""
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)
    return condition()


def _on_terminal(
    args: Sequence[str], env: dict[str, str], columns: int, rows: int, timeout: float
) -> tuple[int, bytes]:
    """``python -m tpublish ARGS`` with stdout and stderr on a ``columns`` x ``rows``
    pseudo-terminal: the exit code and everything written to it, control sequences included."""
    with pseudo_terminal(columns=columns, rows=rows) as (terminal, chunks):
        completed = subprocess.run(
            [sys.executable, "-m", "tpublish", *args],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=terminal,
            stderr=terminal,
            timeout=timeout,
            check=False,
        )
    return completed.returncode, b"".join(chunks)


def tpublish_on_terminal(
    *args: str, env: dict[str, str] | None = None, columns: int = 160, timeout: float = 120
) -> Run:
    """Invoke ``python -m tpublish`` with stdout and stderr on a pseudo-terminal, as a person sees it.

    ``stdout`` of the result is everything written to the terminal, control sequences included.
    """
    full_env = {**os.environ, "TERM": "xterm-256color", **(env or {})}
    code, written = _on_terminal(args, full_env, columns, 50, timeout)
    return Run(code, written.decode("utf-8", "replace"), "")


def tpublish_rendered(
    *args: str,
    env: dict[str, str] | None = None,
    columns: int = 80,
    rows: int = 60,
    timeout: float = 120,
) -> tuple[int, Rendered]:
    """Run ``python -m tpublish`` on a ``columns``-wide pseudo-terminal; the exit code and the
    screen a person would see (played on a terminal emulator), frame by frame."""
    full_env = {**os.environ, "TERM": "xterm-256color", **(env or {})}
    full_env.pop("COLUMNS", None)  # the terminal's own width, as a person's shell has it
    code, written = _on_terminal(args, full_env, columns, rows, timeout)
    return code, render(written, columns, rows)


def upload_release(
    index: FakeIndex, dist: Path, *args: str, env: dict[str, str] | None = None
) -> Run:
    """``tpublish upload`` of every file in ``dist`` to the fake ``index``, retrying quickly."""
    return tpublish(
        "upload",
        "--repository-url",
        index.upload_url,
        "--no-progress",
        "--retry-backoff",
        "0.01",
        *args,
        str(dist / "*"),
        env=env,
    )
