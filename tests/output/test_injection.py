"""Untrusted text cannot forge output (issue 12, class 4).

Hostile text arrives by every outside path — the index's reason phrase and bodies (plain, HTML,
JSON), a retry's reason, an "already exists" answer, the mint endpoint's error description, a file
name given on the command line, a username from the environment — and is shown in every mode:
a log, GitHub Actions, GitLab CI, ``--json`` and a terminal. Nowhere does a control sequence from
it reach the output, nor a line a CI runner would obey; the text itself is still shown (escaped).
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from builders import make_release, make_wheel
from cli_helpers import Run, tpublish, tpublish_on_terminal
from fakeindex import FakeIndex
from fault_helpers import PLAIN_METADATA
from tp_helpers import github_env
from tpublish.output import ci

# One line (a reason phrase cannot hold more): an OSC title, a screen clear, BEL, backspaces, a
# bare CR, and what GitHub and GitLab runners would read as commands.
LINE = (
    "\x1b]0;pwned\x07\x1b[2J\x08\x08\rpwned ::stop-commands::pwnd ##[error]legacy "
    "section_start:1:pwn[collapsed=true]\r\x1b[0Kfake"
)
# Several lines, each starting a command once the runner trims it.
LINES = (
    "pwned\n::stop-commands::pwnd\n  ::error::indented\n##[warning]legacy\n"
    "section_end:1:tpublish_x\r\x1b[0K\n\x1b[31mred\x1b[0m\x9b2J"
)
HOSTILE_SEQUENCES = ("\x1b]0;", "\x1b[2J", "\x07", "\x08", "\x9b")  # rich writes none of these
OUR_COMMAND = re.compile(r"^::(add-mask|error|warning|group|endgroup)( [^:]*)?::")
OUR_SECTION = re.compile(
    r"\x1b\[0Ksection_(start|end):\d+:tpublish_[A-Za-z0-9_.-]+(\[collapsed=true\])?\r\x1b\[0K"
)
EXISTS = "File already exists ('demo_pkg-1.0.0-py3-none-any.whl', with blake2_256 hash '0'). "


@dataclass(frozen=True)
class Source:
    """How hostile text reaches tpublish: ``setup`` arranges it; the upload then runs with
    ``args`` (and ``env``) and must end with ``exit_code``."""

    setup: Callable[[FakeIndex, Path], list[str]]  # returns the paths to upload
    exit_code: int
    env: Callable[[FakeIndex], dict[str, str]] = lambda _index: {}
    token: bool = True


def release(index: FakeIndex, tmp: Path) -> list[str]:
    return [str(p) for p in make_release(tmp / "dist", "demo-pkg", "1.0.0")]


def reason(index: FakeIndex, tmp: Path) -> list[str]:
    index.faults.add("/legacy/", "status", method="POST", code=400, reason=LINE)
    return release(index, tmp)


def body(kind: str) -> Callable[[FakeIndex, Path], list[str]]:
    def setup(index: FakeIndex, tmp: Path) -> list[str]:
        index.reason_phrases = False
        if kind == "json":
            index.faults.add("/legacy/", "status", method="POST", code=400, json={"message": LINES})
        elif kind == "html":
            page = f"<html><body><h1>400 {LINES}</h1><p>{LINES}</p></body></html>"
            index.faults.add(
                "/legacy/", "status", method="POST", code=400, body=page, content_type="text/html"
            )
        else:
            index.faults.add("/legacy/", "status", method="POST", code=400, body=LINES)
        return release(index, tmp)

    return setup


def retried(index: FakeIndex, tmp: Path) -> list[str]:
    index.faults.add("/legacy/", "status", method="POST", code=503, reason=LINE)
    return release(index, tmp)


def exists(index: FakeIndex, tmp: Path) -> list[str]:
    """Uncertain: the index's words are shown under the outcome."""
    index.serve_listings = False
    index.faults.add("/legacy/", "status", method="POST", code=503, body=LINES)
    index.faults.add("/legacy/", "status", method="POST", code=400, reason=EXISTS + LINE)
    return release(index, tmp)


def mint_refusal(index: FakeIndex, tmp: Path) -> list[str]:
    errors = [{"code": LINES, "description": LINES}, {"code": "x", "description": LINE}]
    index.faults.add(
        "/_/oidc/mint-token", "status", code=422, json={"message": LINE, "errors": errors}
    )
    return release(index, tmp)


def filename(index: FakeIndex, tmp: Path) -> list[str]:
    """A file named with the hostile text, given on the command line (and by a glob)."""
    wheel = make_wheel(tmp / "dist", extra_metadata=PLAIN_METADATA)
    hostile = tmp / "dist" / (LINES.replace("/", "_") + ".whl")
    shutil.copy(wheel, hostile)
    return [str(hostile), str(tmp / "dist" / "*")]


def username(index: FakeIndex, tmp: Path) -> list[str]:
    return release(index, tmp)


SOURCES = {
    "reason-phrase": Source(reason, 1),
    "body-text": Source(body("text"), 1),
    "body-html": Source(body("html"), 1),
    "body-json": Source(body("json"), 1),
    "retry-reason": Source(retried, 0),
    "already-exists": Source(exists, 1),
    "mint-description": Source(mint_refusal, 5, env=github_env, token=False),
    "file-name": Source(filename, 2),
    "username": Source(
        username,
        3,
        env=lambda _index: {"TPUBLISH_USERNAME": LINES, "TPUBLISH_PASSWORD": "secret-1f2e3d"},
        token=False,
    ),
}
MODES = {
    "log": ((), {}),
    "verbose": (("--verbose",), {}),
    "json": (("--json",), {}),
    "github": (("--verbose",), {"GITHUB_ACTIONS": "true"}),
    "gitlab": (("--verbose",), {"GITLAB_CI": "true"}),
}


def run_source(
    index: FakeIndex, tmp_path: Path, source: Source, args: tuple[str, ...], env: dict[str, str]
) -> tuple[Run, Path]:
    summary = tmp_path / "summary.md"
    paths = source.setup(index, tmp_path)
    token = ("--token", index.add_api_token()) if source.token else ()
    if source.env is github_env:
        index.add_publisher("github", ["demo-pkg"])
    run = tpublish(
        "upload", "--repository-url", index.upload_url, *token, "--no-progress",
        "--retry-backoff", "0.01", "--non-interactive", *args, *paths,
        env={**source.env(index), "GITHUB_STEP_SUMMARY": str(summary), **env},
    )  # fmt: skip
    return run, summary


def assert_nothing_forged(text: str, *, gitlab: bool = False) -> None:
    """No control character from outside, no runner command we did not write."""
    if gitlab:
        text = OUR_SECTION.sub("", text)
    for sequence in ("\x1b", "\r", "\x07", "\x08", "\x9b", "\x9d"):
        assert sequence not in text, f"{sequence!r} written"
    for line in text.split("\n"):
        if line.lstrip().startswith("::"):
            assert OUR_COMMAND.match(line), f"forged workflow command: {line!r}"
        assert "##[" not in line, f"forged legacy command: {line!r}"
        assert "section_start:" not in line and "section_end:" not in line, line


@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize("name", list(SOURCES))
def test_no_outside_text_forges_output(
    index: FakeIndex, tmp_path: Path, name: str, mode: str
) -> None:
    source = SOURCES[name]
    args, env = MODES[mode]

    run, summary = run_source(index, tmp_path, source, args, env)

    assert run.exit_code == source.exit_code, run.output
    assert_nothing_forged(run.stdout, gitlab=mode == "gitlab")
    assert_nothing_forged(run.stderr, gitlab=mode == "gitlab")
    if summary.exists():
        assert_nothing_forged(summary.read_text())
    if mode == "json":
        json.loads(run.stdout)  # still one document
    elif name != "username" or mode != "log":  # (a log names the credential only if verbose)
        assert "pwn" in run.output  # shown, made harmless, not hidden
    if source.exit_code == 0:
        assert sorted(index.files) == ["demo_pkg-1.0.0-py3-none-any.whl", "demo_pkg-1.0.0.tar.gz"]
    elif name != "already-exists":
        assert index.files == {}


@pytest.mark.parametrize("name", ["reason-phrase", "body-text", "file-name", "mint-description"])
def test_no_outside_control_sequence_reaches_a_terminal(
    index: FakeIndex, tmp_path: Path, name: str
) -> None:
    source = SOURCES[name]
    paths = source.setup(index, tmp_path)
    token = ("--token", index.add_api_token()) if source.token else ()
    if source.env is github_env:
        index.add_publisher("github", ["demo-pkg"])

    run = tpublish_on_terminal(
        "upload", "--repository-url", index.upload_url, *token, "--retry-backoff", "0.01",
        *paths, env=source.env(index),
    )  # fmt: skip

    assert run.exit_code == source.exit_code, run.stdout
    for sequence in HOSTILE_SEQUENCES:
        assert sequence not in run.stdout, f"{sequence!r} reached the terminal"
    assert "pwn" in run.stdout


def test_check_shows_a_hostile_file_name_harmlessly(tmp_path: Path) -> None:
    (path,) = filename(FakeIndex(), tmp_path)[:1]

    run = tpublish("check", path, env={"GITHUB_ACTIONS": "true"})

    assert run.exit_code == 2
    assert_nothing_forged(run.stdout)
    assert_nothing_forged(run.stderr)


# -- masking in GitHub Actions -----------------------------------------------------------------------


def test_add_mask_masks_every_line_of_a_multi_line_value(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")

    ci.mask("first-line\r\nsecond %0A line\n\nthird::line")

    assert capsys.readouterr().out.splitlines() == [
        "::add-mask::first-line",
        "::add-mask::second %250A line",  # the runner unescapes: it masks exactly the line
        "::add-mask::third::line",
    ]


@pytest.mark.parametrize(
    "token",
    [
        "pypi-AgEIcHlwaS5vcmc\x1b[31mred",
        "pypi-AgEIcHlwaS5vcmc\n::stop-commands::x",
        "pypi-AgEIcHlwaS5vcmc token with spaces",
        "pypi-AgEIcHlwaS5vcmc\u202eevil",
    ],
)
def test_a_minted_token_with_control_characters_is_refused(
    index: FakeIndex, tmp_path: Path, token: str
) -> None:
    index.add_publisher("github", ["demo-pkg"])
    index.faults.add(
        "/_/oidc/mint-token", "status", code=200, json={"success": True, "token": token}
    )
    paths = release(index, tmp_path)

    run = tpublish(
        "upload", "--repository-url", index.upload_url, "--no-progress", *paths,
        env=github_env(index),
    )  # fmt: skip

    assert run.exit_code == 5, run.output
    assert "the index gave us a malformed token" in run.stderr
    assert_nothing_forged(run.stdout)
    assert_nothing_forged(run.stderr)
    assert "AgEIcHlwaS5vcmc" not in run.output
    assert index.uploads == []


def test_an_oidc_token_with_control_characters_is_refused(index: FakeIndex, tmp_path: Path) -> None:
    index.add_publisher("gitlab", ["demo-pkg"])
    header, payload, _ = index.gitlab_oidc_token().split(".")
    forged = f"{header}.{payload}.sig\x1b]0;pwned\x07"
    paths = release(index, tmp_path)

    run = tpublish(
        "upload", "--repository-url", index.upload_url, "--no-progress", *paths,
        env={"GITLAB_CI": "true", "PYPI_ID_TOKEN": forged},
    )  # fmt: skip

    assert run.exit_code == 5, run.output
    assert "OIDC token is malformed" in run.stderr
    assert_nothing_forged(run.output, gitlab=True)
    assert index.requests_to("/_/oidc/mint-token") == []
    assert index.uploads == []


@pytest.mark.parametrize("mode", list(MODES))
def test_attestation_contents_cannot_forge_output(
    index: FakeIndex, tmp_path: Path, mode: str
) -> None:
    """An attestation file's own values end up in the error that names it."""
    args, env = MODES[mode]
    paths = release(index, tmp_path)
    for path in paths:
        Path(f"{path}.publish.attestation").write_text(json.dumps({"version": LINES}))

    run = tpublish(
        "upload", "--repository-url", index.upload_url, "--token", index.add_api_token(),
        "--no-progress", "--attestations", *args, *paths, env=env,
    )  # fmt: skip

    assert run.exit_code == 2, run.output
    assert_nothing_forged(run.stdout, gitlab=mode == "gitlab")
    assert_nothing_forged(run.stderr, gitlab=mode == "gitlab")
    assert "pwned" in run.output
    assert index.requests == []
