"""``--help`` reads like a manual: options under headings, each command's own words and exit
codes, nothing cut or wider than an 80-column terminal."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click
import pytest

from cli_helpers import tpublish
from tpublish.cli.helptext import HELP_SECTIONS, OTHER_SECTION
from tpublish.cli.main import main
from tpublish.cli.options import auth_options, check_options, upload_options

COMMANDS = sorted(main.commands)


def help_of(*args: str, columns: int = 80) -> str:
    run = tpublish(*args, "--help", env={"COLUMNS": str(columns)})
    assert run.exit_code == 0
    return run.stdout


@pytest.mark.parametrize("command", COMMANDS)
def test_every_option_has_a_heading(command: str) -> None:
    listed = {name for names in HELP_SECTIONS.values() for name in names}
    cmd = main.commands[command]
    context = click.Context(cmd)
    help_option = cmd.get_help_option(context)
    options = [p for p in cmd.get_params(context) if isinstance(p, click.Option)]
    missing = [
        p.name for p in options if not p.hidden and p is not help_option and p.name not in listed
    ]
    assert missing == [], f"add {missing} to a heading of HELP_SECTIONS (cli/helptext.py)"
    assert OTHER_SECTION not in help_of(command)


def test_every_heading_names_an_option() -> None:
    """HELP_SECTIONS lists no option that no command has (a renamed or removed one)."""
    names = {"help"}
    for cmd in main.commands.values():
        names |= {p.name for p in cmd.get_params(click.Context(cmd)) if p.name}
    stale = [n for section in HELP_SECTIONS.values() for n in section if n not in names]
    assert stale == [], f"remove {stale} from HELP_SECTIONS (cli/helptext.py)"


class Recorded(dict[str, Any]):
    """click's keyword arguments, remembering which ones were read."""

    def __init__(self, values: dict[str, Any]) -> None:
        super().__init__(values)
        self.read: set[str] = set()

    def __getitem__(self, key: str) -> Any:
        self.read.add(key)
        return super().__getitem__(key)


@pytest.mark.parametrize(
    ("command", "args", "build"),
    [
        ("upload", ["x.whl"], upload_options),
        ("check", ["x.whl"], check_options),
        ("auth", [], auth_options),
    ],
)
def test_every_option_reaches_the_typed_options(
    command: str, args: list[str], build: Callable[[dict[str, Any]], object]
) -> None:
    """cli/params.py declares, cli/options.py builds: an option the builder never reads would be
    accepted and silently ignored."""
    context = main.commands[command].make_context(command, list(args))
    kwargs = Recorded({k: v for k, v in context.params.items() if k != "dists"})
    build(kwargs)
    assert sorted(set(kwargs) - kwargs.read) == []


def test_upload_help_groups_its_options_under_headings() -> None:
    text = help_of("upload")
    headings = [line[:-1] for line in text.splitlines() if line and not line.startswith(" ")]
    assert headings[1:] == [
        "Target",
        "Credentials",
        "Trusted publishing",
        "Attestations",
        "Behaviour",
        "Network and TLS",
        "Output",
        "Accepted for twine, ignored",
    ]
    section = text.split("Credentials:")[1].split("\n\n")[0]
    assert "--token" in section and "--skip-existing" not in section


@pytest.mark.parametrize("args", [(), *((c,) for c in COMMANDS)])
def test_help_fits_80_columns_and_cuts_nothing(args: tuple[str, ...]) -> None:
    text = help_of(*args)
    assert all(len(line) <= 80 for line in text.splitlines()), text
    assert "..." not in text.replace("DIST...", "").replace("[ARGS]...", "")


def test_the_command_list_shows_each_summary_whole() -> None:
    text = " ".join(help_of().split())
    for name in COMMANDS:
        summary = main.commands[name].get_short_help_str(limit=1000)
        assert " ".join(summary.split()) in text


def test_each_command_has_its_own_exit_codes() -> None:
    auth, check, upload = help_of("auth"), help_of("check"), help_of("upload")
    assert "the index refused a file" in upload
    assert "the index refused a file" not in auth + check
    assert "the diagnosis is shown" in auth
    assert "a file would be refused by the index" in check


def test_check_verbose_speaks_of_what_check_does() -> None:
    text = help_of("check")
    verbose = text.split("--verbose")[1].split("--debug")[0]
    assert "setting" not in verbose and "credential" not in verbose
    assert "project, version and type" in " ".join(verbose.split())
