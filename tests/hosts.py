"""Run a command that sees its own /etc/hosts: a private mount namespace (``unshare -m``).

Lets a test give a local server a name that is not this machine's (``pypi.internal``, or even
``upload.pypi.org``) without changing the machine. ``private_hosts_work()`` says whether this
machine allows it (root, or user namespaces); tests skip when it does not.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path

from cli_helpers import Run


@cache
def private_hosts_work() -> bool:
    """Whether this machine lets us bind-mount our own /etc/hosts in a mount namespace."""
    if shutil.which("unshare") is None or not Path("/etc/hosts").exists():
        return False
    probe = subprocess.run(
        ["unshare", "-m", "sh", "-c", "mount --bind /etc/hosts /etc/hosts"],
        capture_output=True,
        timeout=30,
        check=False,
    )
    return probe.returncode == 0


SKIP_REASON = "needs `unshare -m` and mount (root or user namespaces)"


def hosts_file(directory: Path, *names: str) -> Path:
    """This machine's /etc/hosts plus ``names`` on 127.0.0.1."""
    path = directory / "hosts"
    path.write_text(Path("/etc/hosts").read_text() + f"\n127.0.0.1 {' '.join(names)}\n")
    return path


def tpublish_seeing(hosts: Path, *args: str, env: dict[str, str] | None = None) -> Run:
    """``python -m tpublish ARGS`` in a mount namespace whose /etc/hosts is ``hosts``."""
    command = shlex.join([sys.executable, "-m", "tpublish", *args])
    script = f"mount --bind {shlex.quote(str(hosts))} /etc/hosts && exec {command}"
    completed = subprocess.run(
        ["unshare", "-m", "sh", "-c", script],
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    return Run(completed.returncode, completed.stdout, completed.stderr)
