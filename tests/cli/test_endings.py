"""Small honest endings (issue 12, class 6).

A reader that closes our stdout early (``| head``) does not turn a finished release into an
internal error; ``--debug`` shows the traceback of an internal error.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from builders import make_release, make_wheel
from cli_helpers import tpublish, tpublish_started
from fakeindex import FakeIndex
from fault_helpers import PLAIN_METADATA


def closed_stdout(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    """Run ``python -m tpublish`` with its stdout's reader gone before it writes (``| head``)."""
    process = tpublish_started(*args, env=env)
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # like `head` after the lines it wanted
    stderr = process.stderr.read()
    return process.wait(timeout=120), stderr


def assert_quiet_ending(stderr: str) -> None:
    for word in ("BrokenPipeError", "internal error", "Exception ignored", "Traceback"):
        assert word not in stderr, stderr


@pytest.mark.parametrize("json_mode", [False, True])
def test_upload_into_a_closed_pipe_finishes_and_keeps_its_exit_code(
    index: FakeIndex, token: str, tmp_path: Path, json_mode: bool
) -> None:
    files = make_release(tmp_path / "dist", "demo-pkg", "1.0.0")

    code, stderr = closed_stdout(
        "upload", "--repository-url", index.upload_url, "--no-progress",
        *(["--json"] if json_mode else []), *(str(p) for p in files),
        env={"TPUBLISH_TOKEN": token},
    )  # fmt: skip

    assert code == 0, stderr
    assert_quiet_ending(stderr)
    assert sorted(index.files) == sorted(p.name for p in files)


def test_a_failed_upload_into_a_closed_pipe_keeps_its_exit_code(
    index: FakeIndex, token: str, tmp_path: Path
) -> None:
    files = make_release(tmp_path / "dist", "demo-pkg", "1.0.0")
    index.faults.add("/legacy/", "status", method="POST", code=400, reason="Invalid value.")

    code, stderr = closed_stdout(
        "upload", "--repository-url", index.upload_url, "--no-progress",
        *(str(p) for p in files), env={"TPUBLISH_TOKEN": token},
    )  # fmt: skip

    assert code == 1
    assert "error: the index refused the file (400): Invalid value." in stderr
    assert "BrokenPipeError" not in stderr
    assert index.files == {}


def test_check_into_a_closed_pipe(tmp_path: Path) -> None:
    files = [
        make_wheel(tmp_path / "dist", tag=f"py3-none-manylinux_2_{n}_x86_64",
                   extra_metadata=PLAIN_METADATA)
        for n in range(5, 65)
    ]  # fmt: skip

    code, stderr = closed_stdout("check", *(str(p) for p in files))

    assert code == 0, stderr
    assert_quiet_ending(stderr)


def test_debug_shows_the_traceback_of_an_internal_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> object:
        raise RuntimeError("a bug in a rule")

    monkeypatch.setattr("tpublish.cli.check.check_files", broken)
    wheel = make_wheel(tmp_path / "dist", extra_metadata=PLAIN_METADATA)

    plain = tpublish("check", str(wheel))
    debug = tpublish("check", "--debug", str(wheel))
    as_json = tpublish("check", "--debug", "--json", str(wheel))

    assert plain.exit_code == debug.exit_code == 1
    assert "internal error: RuntimeError: a bug in a rule" in plain.stderr
    assert "run again with --debug" in plain.stderr
    assert "Traceback" not in plain.output
    assert "Traceback (most recent call last)" in debug.stderr
    assert "RuntimeError: a bug in a rule" in debug.stderr
    assert "Traceback (most recent call last)" in as_json.stderr
    assert json.loads(as_json.stdout)["error"]["type"] == "InternalError"
