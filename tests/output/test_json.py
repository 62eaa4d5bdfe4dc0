"""``--json``: exactly one JSON document on stdout, whatever happens.

Each failure path of each command is run for real (the CLI, the fake index on 127.0.0.1, a
closed port, a signal); stdout must parse as one document (``json.loads`` refuses a second)
that carries the exit code the process exits with.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from builders import make_wheel
from cli_helpers import Run, tpublish, tpublish_interrupted
from fakeindex import FakeIndex
from servers import free_port
from tpublish.errors import (
    EXIT_CREDENTIALS,
    EXIT_INPUT,
    EXIT_INTERRUPTED,
    EXIT_NETWORK,
    EXIT_OK,
    EXIT_UPLOAD,
)

TESTS = Path(__file__).resolve().parents[1]


def one_document(run: Run) -> dict[str, Any]:
    document = json.loads(run.stdout)  # a second document would be "Extra data"
    assert isinstance(document, dict)
    assert document["exit_code"] == run.exit_code, document
    return document


def test_no_credential(index: FakeIndex, dist: Path) -> None:
    run = tpublish("upload", "--json", "--repository-url", index.upload_url, str(dist / "*"))

    assert run.exit_code == EXIT_CREDENTIALS
    assert one_document(run)["error"]["type"] == "CredentialError"
    assert not index.uploads


def test_dry_run_without_a_credential_is_one_document_with_the_plan_and_the_error(
    index: FakeIndex, dist: Path
) -> None:
    run = tpublish(
        "upload", "--json", "--dry-run", "--repository-url", index.upload_url, str(dist / "*")
    )

    assert run.exit_code == EXIT_CREDENTIALS
    document = one_document(run)
    assert document["dry_run"] is True and document["would_start"] is False
    assert len(document["files"]) == 2
    assert document["error"]["type"] == "CredentialError"


def test_dry_run_with_a_credential(index: FakeIndex, token: str, dist: Path) -> None:
    run = tpublish(
        "upload",
        "--json",
        "--dry-run",
        "--repository-url",
        index.upload_url,
        "--token",
        token,
        str(dist / "*"),
    )

    assert run.exit_code == EXIT_OK
    assert one_document(run)["would_start"] is True


def test_bad_file(index: FakeIndex, token: str, dist: Path) -> None:
    broken = dist / "broken-1.0-py3-none-any.whl"
    broken.write_bytes(b"not a zip")

    run = tpublish(
        "upload", "--json", "--repository-url", index.upload_url, "--token", token, str(dist / "*")
    )

    assert run.exit_code == EXIT_INPUT
    document = one_document(run)
    assert [f["file"] for f in document["files"]] == [str(broken)]  # the path as given
    assert not index.uploads


def test_no_file_matches(tmp_path: Path) -> None:
    run = tpublish("upload", "--json", "--token", "pypi-x" * 4, str(tmp_path / "*.whl"))

    assert run.exit_code == EXIT_INPUT
    assert one_document(run)["error"]["message"].startswith("no files match")


def test_network_failure(token: str, dist: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}/legacy/"

    run = tpublish(
        "upload",
        "--json",
        "--repository-url",
        url,
        "--token",
        token,
        "--retries",
        "0",
        str(dist / "*"),
    )

    assert run.exit_code == EXIT_NETWORK
    document = one_document(run)
    assert [f["outcome"] for f in document["files"]] == ["failed", "not attempted"]


def test_refusal(index: FakeIndex, token: str, dist: Path) -> None:
    index.faults.add("/legacy/", "status", code=400, reason="Invalid value for classifiers.")

    run = tpublish(
        "upload", "--json", "--repository-url", index.upload_url, "--token", token, str(dist / "*")
    )

    assert run.exit_code == EXIT_UPLOAD
    document = one_document(run)
    assert document["files"][0]["error"]["message"].endswith("Invalid value for classifiers.")
    assert document["release_urls"] == []


def test_a_refused_command_line(tmp_path: Path) -> None:
    run = tpublish("upload", "--json", "--concurrency", "99", str(tmp_path / "x.whl"))

    assert run.exit_code == EXIT_INPUT
    document = one_document(run)
    assert document["error"]["type"] == "UsageError"
    assert "--concurrency" in document["error"]["message"]


def test_a_refused_command_line_shows_no_secret(tmp_path: Path) -> None:
    """click quotes the value it refuses: a token given in the wrong place is masked there too,
    in the JSON document and on stderr."""
    token = "pypi-AgEIcHlwaS5vcmcCJDEyMzQ1Njc4OTBhYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5eg"
    run = tpublish("upload", "--json", "--concurrency", token, str(tmp_path / "x.whl"))

    assert run.exit_code == EXIT_INPUT
    assert "--concurrency" in one_document(run)["error"]["message"]
    assert token not in run.stdout and token not in run.stderr
    assert "********" in run.stderr


@pytest.mark.parametrize("args", [("check",), ("upload",)])
def test_a_missing_argument(args: tuple[str, ...]) -> None:
    run = tpublish(*args, "--json")

    assert run.exit_code == EXIT_INPUT
    assert one_document(run)["error"]["type"] == "UsageError"


def test_check_with_an_unreadable_file(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path)
    wheel.write_bytes(b"PK")

    run = tpublish("check", "--json", str(wheel))

    assert run.exit_code == EXIT_INPUT
    assert one_document(run)["files"][0]["ok"] is False


def test_check_with_no_file(tmp_path: Path) -> None:
    run = tpublish("check", "--json", str(tmp_path / "*.whl"))

    assert run.exit_code == EXIT_INPUT
    assert one_document(run)["error"]["type"] == "InputError"


def test_auth(index: FakeIndex) -> None:
    run = tpublish("auth", "--json", "--repository-url", index.upload_url)

    assert run.exit_code == EXIT_OK
    assert one_document(run)["credential"] is None


def test_auth_with_a_bad_config_file(tmp_path: Path) -> None:
    run = tpublish("auth", "--json", "--config-file", str(tmp_path / "missing.pypirc"))

    assert run.exit_code == EXIT_INPUT
    assert one_document(run)["error"]["type"] == "InputError"


def test_ctrl_c_before_the_upload(index: FakeIndex, dist: Path) -> None:
    """Interrupted while the keyring does not answer: the document says so, exit code 130."""
    env = {
        "PYTHONPATH": os.pathsep.join([str(TESTS.parent / "src"), str(TESTS)]),
        "PYTHON_KEYRING_BACKEND": "keyring_backend.HangingBackend",
    }

    def warned(process: subprocess.Popen[str]) -> None:
        assert process.stderr is not None
        # The checks' warnings come just before the credential is looked for.
        assert process.stderr.readline().startswith("warning: ")

    run = tpublish_interrupted(
        "upload", "--json", "--repository-url", index.upload_url, str(dist / "*"),
        ready=warned, env=env,
    )  # fmt: skip

    assert run.exit_code == EXIT_INTERRUPTED, run.stderr
    document = one_document(run)
    assert document["interrupted"] is True
    assert "Traceback" not in run.stderr
    assert not index.uploads
