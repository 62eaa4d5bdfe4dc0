"""The three commands as click sees them: arguments, options, help. The work is elsewhere.

Only click is imported here: ``tpublish --help`` and ``--version`` must start fast. Each command
builds its typed options, a console, and runs its module's ``run_*`` inside the error boundary.
"""

from __future__ import annotations

import atexit
import gc
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NoReturn

import click

from tpublish.cli.boundary import make_console, run_command
from tpublish.cli.helptext import SectionedCommand
from tpublish.cli.params import (
    AUTH_EXIT_CODES_HELP,
    CHECK_EXIT_CODES_HELP,
    DIST_PATHS,
    EXIT_CODES_HELP,
    check_output_options,
    output_options,
    release_options,
    repository_options,
)

if TYPE_CHECKING:
    from tpublish.output.console import Console

Loaded = tuple["Console", bool, Callable[[], int]]  # the console, --debug, the command's work


def _run(load: Callable[[], Loaded]) -> NoReturn:
    """Load a command's modules, options and console, then run its work in the error boundary.

    The modules create some 35,000 objects that live as long as the process. The cyclic garbage
    collector would scan them over and over while they pile up, at its older-generation passes
    after that, and in the passes the interpreter makes as it exits: ~35 ms of an upload of two
    files. So it is paused while they load, and what is alive then is set aside (``gc.freeze``)
    for the rest of the command, and everything again as the process exits (its memory goes
    back to the system then, and nothing of ours waits for a collection to be finalised).
    ``gc.unfreeze`` gives them back when the command ends, for a caller that runs commands in
    its own process (tests).
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        console, debug, work = load()
    finally:
        gc.freeze()
        if collecting:
            gc.enable()
    atexit.unregister(gc.freeze)  # once, however many commands this process runs
    atexit.register(gc.freeze)
    try:
        run_command(console, debug, work)
    finally:
        gc.unfreeze()


@click.command(cls=SectionedCommand, epilog=EXIT_CODES_HELP)
@click.argument("dists", nargs=-1, required=True, metavar="DIST...", type=DIST_PATHS)
@repository_options
@release_options
@output_options
def upload(dists: tuple[str, ...], **kwargs: Any) -> NoReturn:
    """Upload distributions (wheels and sdists) to an index.

    DIST... are the files, or patterns such as dist/* (expanded by tpublish too). Every file is
    checked, and looked up on the index, before the first byte is sent: one bad or conflicting
    file means nothing is uploaded. Wheels go first, sdists last; each file's outcome is shown in
    a table at the end.
    """

    def load() -> Loaded:
        # The work and its libraries (httpx, rich, packaging) load only once a command runs.
        from tpublish.cli.options import upload_options
        from tpublish.cli.upload import run_upload

        options = upload_options(kwargs)
        output = options.output
        console = make_console(json=output.json, verbose=output.verbose, progress=output.progress)
        return console, output.debug, lambda: run_upload(console, list(dists), options)

    _run(load)


@click.command(cls=SectionedCommand, epilog=CHECK_EXIT_CODES_HELP)
@click.argument("dists", nargs=-1, required=True, metavar="DIST...", type=DIST_PATHS)
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@check_output_options
def check(dists: tuple[str, ...], **kwargs: Any) -> NoReturn:
    """Check distributions against the rules the index applies, without uploading.

    Each file gets a line per finding (error or warning, in the index's words) or "ok", then a
    summary line. Nothing is sent and no credential is needed.
    """

    def load() -> Loaded:
        # The work and its libraries (httpx, rich, packaging) load only once a command runs.
        from tpublish.cli.check import run_check
        from tpublish.cli.options import check_options

        options = check_options(kwargs)
        console = make_console(json=options.output.json, verbose=options.output.verbose)
        return console, options.output.debug, lambda: run_check(console, list(dists), options)

    _run(load)


@click.command(cls=SectionedCommand, epilog=AUTH_EXIT_CODES_HELP)
@repository_options
@click.option(
    "--exchange",
    is_flag=True,
    help="Also exchange the OIDC token at the index (proves the publisher matches). On GitLab "
    "this uses up the job's token: a later upload in the same job would fail.",
)
@click.option("--connect-timeout", type=click.FloatRange(0.1), default=10.0, hidden=True)
@click.option("--timeout", type=click.FloatRange(0.1), default=30.0, hidden=True)
@click.option("--concurrency", type=int, default=1, hidden=True)
@output_options
def auth(**kwargs: Any) -> NoReturn:
    """Show which credential an upload would use, and diagnose trusted publishing.

    Uploads nothing. Shows the repository and where it was set, and the credential a run would
    use and where it comes from (never the secret). In CI: the detected provider, the index's
    audience, the OIDC token's claims next to the values the index's trusted-publisher form
    needs, and (with --exchange) whether the index accepts the token.
    """

    def load() -> Loaded:
        # The work and its libraries (httpx, rich, packaging) load only once a command runs.
        from tpublish.cli.auth import run_auth
        from tpublish.cli.options import auth_options

        options = auth_options(kwargs)
        console = make_console(json=options.output.json, verbose=options.output.verbose)
        return console, options.output.debug, lambda: run_auth(console, options)

    _run(load)
