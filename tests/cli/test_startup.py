"""What a run loads: ``--help`` and ``--version`` only click, an upload only what its work needs.

Start-up time is measured in ``benchmarks/bench.py``, not here (no timed assertions): these tests
pin the reasons it is short, each of which a harmless-looking import could undo. They run the CLI
in a fresh interpreter and list ``sys.modules`` at its end.
"""

from __future__ import annotations

import functools
import gc
import http.server
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from builders import make_wheel
from cli_helpers import tpublish

SRC = Path(__file__).resolve().parents[2] / "src"

_RUN = """
import json, sys
from tpublish.cli import main
try:
    main(sys.argv[1:], prog_name="tpublish")
except SystemExit as exc:
    code = exc.code
else:
    code = 0
sys.stderr.write("\\n@@" + json.dumps({"code": code, "modules": sorted(n for n, m in sys.modules.items() if m)}))
"""


def loaded_by(*args: str, env: dict[str, str] | None = None) -> tuple[int, set[str], str]:
    """Run ``tpublish ARGS`` in a fresh interpreter: its exit code, loaded modules, output."""
    full_env = {**os.environ, "PYTHONPATH": str(SRC), **(env or {})}
    done = subprocess.run(
        [sys.executable, "-c", _RUN, *args],
        env=full_env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
        check=False,
    )
    stderr, _, tail = done.stderr.rpartition("\n@@")
    assert tail, done.stderr
    found = json.loads(tail)
    return found["code"], set(found["modules"]), done.stdout + stderr


def top_level(modules: set[str]) -> set[str]:
    return {name.split(".")[0] for name in modules}


@functools.cache
def interpreter_modules() -> frozenset[str]:
    """What the interpreter loads before tpublish does (site, .pth files): not ours to judge."""
    done = subprocess.run(
        [sys.executable, "-c", "import json, sys; print(json.dumps(sorted(sys.modules)))"],
        env={**os.environ, "PYTHONPATH": str(SRC)},
        capture_output=True,
        text=True,
        check=True,
    )
    return frozenset(json.loads(done.stdout))


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["upload", "--help"]])
def test_help_and_version_load_only_click(args: list[str]) -> None:
    code, modules, _ = loaded_by(*args)
    assert code == 0
    heavy = {"httpx", "httpcore", "rich", "packaging", "readme_renderer", "ssl", "pathlib"}
    assert top_level(modules - interpreter_modules()) & heavy == set()
    ours = {m for m in modules if m.startswith("tpublish.")}
    assert {m.split(".")[1] for m in ours} <= {"cli", "errors"}


def test_httpx_works_without_its_command_line_client() -> None:
    """tpublish.cli keeps httpx from importing its own CLI (httpx._main, which loads rich and
    pygments); httpx itself still imports and makes requests."""
    handler = type(
        "Handler",
        (http.server.BaseHTTPRequestHandler,),
        {
            "do_GET": lambda self: (self.send_response(204), self.end_headers()),
            "log_message": lambda self, *args: None,
        },
    )
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    script = (
        "import sys\n"
        "import tpublish.cli\n"
        "import httpx\n"
        "assert sys.modules['httpx._main'] is None\n"
        "assert not [m for m in sys.modules if m.startswith(('rich', 'pygments'))]\n"
        "print(httpx.get(sys.argv[1]).status_code, callable(httpx.main))\n"
    )
    try:
        done = subprocess.run(
            [sys.executable, "-c", script, f"http://127.0.0.1:{server.server_port}/"],
            env={**os.environ, "PYTHONPATH": str(SRC)},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        server.shutdown()
        server.server_close()
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["204", "True"]


@pytest.mark.parametrize("collecting", [True, False])
def test_a_command_run_in_process_leaves_the_garbage_collector_as_it_found_it(
    tmp_path: Path, collecting: bool
) -> None:
    """A command pauses the collector while its modules load and sets the objects alive then
    aside (gc.freeze) until it ends: a caller running it in its own process gets them back."""
    wheel = make_wheel(
        tmp_path, "demo-pkg", extra_metadata=[("Description-Content-Type", "text/plain")]
    )
    was = gc.isenabled()
    if not collecting:
        gc.disable()
    try:
        run = tpublish("check", str(wheel))
        assert (gc.isenabled(), gc.get_freeze_count()) == (collecting, 0)
    finally:
        if was:
            gc.enable()
    assert run.exit_code == 0, run.output


def test_output_to_a_log_loads_no_rich(tmp_path: Path) -> None:
    """Without a terminal (a CI log, a pipe) lines are written as they are: rich is not loaded."""
    wheel = make_wheel(
        tmp_path, "demo-pkg", extra_metadata=[("Description-Content-Type", "text/plain")]
    )
    code, modules, _ = loaded_by("check", str(wheel))
    assert code == 0
    assert "rich" not in top_level(modules - interpreter_modules())


@pytest.mark.parametrize("variable", ["FORCE_COLOR", "TTY_COMPATIBLE"])
def test_where_the_environment_may_make_a_terminal_rich_decides(
    tmp_path: Path, variable: str
) -> None:
    wheel = make_wheel(tmp_path, "demo-pkg")  # no Description-Content-Type: a warning on stderr
    code, modules, output = loaded_by("check", str(wheel), env={variable: "1"})
    assert code == 0
    assert "rich" in top_level(modules)
    assert "\x1b[" in output  # rich styled the report, as for a terminal
