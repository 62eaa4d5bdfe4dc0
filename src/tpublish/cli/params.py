"""The command line's parameters: options shared by several commands, help texts, exit codes,
and how ``--help`` groups the options under headings.

Only click is imported here, so that ``tpublish --help`` and ``--version`` start fast: the
headings are click's own ``formatter.section`` (rich-click would draw them in boxes, at about
twice the start-up time of ``--help``).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])

# Where each option appears in ``--help``: headings in the order shown, and under each the options
# (by their parameter name) in the order shown. A new option is one more name in one of these
# tuples; tests/cli/test_help.py fails for an option that has no heading.
HELP_SECTIONS: dict[str, tuple[str, ...]] = {
    "Target": ("repository", "repository_url", "config_file"),
    "Credentials": ("token", "username", "password", "non_interactive", "no_keyring"),
    "Trusted publishing": ("trusted_publishing", "exchange"),
    "Behaviour": (
        "skip_existing",
        "dry_run",
        "strict",
        "comment",
        "attestations",
        "no_check",
        "concurrency",
        "retries",
        "retry_backoff",
    ),
    "Network and TLS": ("cert", "client_cert", "native_tls", "connect_timeout", "timeout"),
    "Output": ("json_mode", "verbose", "no_progress", "debug", "help"),
}
OTHER_SECTION = "Other options"
_TERM_WIDTH = 30  # the option column's width, the same under every heading


class SectionedCommand(click.Command):
    """A command whose ``--help`` lists its options under the headings of ``HELP_SECTIONS``."""

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        order = {
            name: n for n, name in enumerate(n for names in HELP_SECTIONS.values() for n in names)
        }
        heading = {name: title for title, names in HELP_SECTIONS.items() for name in names}
        sections: dict[str, list[tuple[int, tuple[str, str]]]] = {}
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is None or not isinstance(param, click.Option):
                continue  # hidden options; the arguments are in the usage line
            name = "help" if param is self.get_help_option(ctx) else param.name or ""
            title = heading.get(name, OTHER_SECTION)
            sections.setdefault(title, []).append((order.get(name, len(order)), record))
        for title in [*HELP_SECTIONS, OTHER_SECTION]:
            rows = [record for _, record in sorted(sections.get(title, []), key=lambda r: r[0])]
            if rows:
                with formatter.section(title):
                    # Terms padded to one width: the help column lines up under every heading.
                    formatter.write_dl(
                        [(term.ljust(_TERM_WIDTH), text) for term, text in rows],
                        col_max=_TERM_WIDTH,
                    )


class CommandGroup(click.Group):
    """The ``tpublish`` group: its command list shows each summary whole, wrapped, never cut;
    with ``--json``, a command line click refuses is answered with a JSON document too."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        options = argv[: argv.index("--")] if "--" in argv else argv
        if not standalone_mode or "--json" not in options:
            return super().main(argv, prog_name, complete_var, standalone_mode, **extra)
        try:
            code = super().main(argv, prog_name, complete_var, standalone_mode=False, **extra)
        except click.ClickException as exc:
            # Only for a refused command line: json and the document's shape load here.
            import json

            from tpublish.cli.boundary import usage_error_document

            document = usage_error_document(exc.format_message(), exc.exit_code)
            sys.stdout.write(json.dumps(document, indent=2) + "\n")
            exc.show()  # the usual message and usage line, on stderr
            sys.exit(exc.exit_code)
        except click.Abort:
            sys.exit(1)
        sys.exit(code or 0)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(limit=1000)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


EXIT_CODES_HELP = """\b
Exit codes:
  0    every file uploaded or skipped (dry run: a real run would start)
  1    the index refused a file (see the report)
  2    bad input: a missing or invalid file, a bad option or config file
  3    credentials missing, or refused by the index (401/403)
  4    network: connection, timeout, TLS, or the index kept failing
  5    trusted publishing: no CI identity, or the token exchange failed
  130  interrupted (re-run with --skip-existing to finish the release)"""


# Shell completion offers file names; unreadable or missing files are reported by tpublish itself.
DIST_PATHS = click.Path(readable=False)


def repository_options(func: F) -> F:
    """Where to upload, and with what: shared by ``upload`` and the diagnostics."""
    options = [
        click.option(
            "-r",
            "--repository",
            metavar="NAME",
            help="A repository from .pypirc, or pypi / testpypi. [env: TPUBLISH_REPOSITORY, TWINE_REPOSITORY]",
        ),
        click.option(
            "--repository-url",
            metavar="URL",
            help="The upload URL; overrides --repository. [env: TPUBLISH_REPOSITORY_URL, TWINE_REPOSITORY_URL]",
        ),
        click.option(
            "-t",
            "--token",
            metavar="TOKEN",
            help="An API token (username __token__). [env: TPUBLISH_TOKEN]",
        ),
        click.option(
            "-u",
            "--username",
            metavar="NAME",
            help="Username. [env: TPUBLISH_USERNAME, TWINE_USERNAME]",
        ),
        click.option(
            "-p",
            "--password",
            metavar="SECRET",
            help="Password or token. [env: TPUBLISH_PASSWORD, TWINE_PASSWORD]",
        ),
        click.option(
            "--config-file",
            metavar="PATH",
            help="The .pypirc to read. [default: ~/.pypirc; env: TPUBLISH_CONFIG_FILE, TWINE_CONFIG_FILE]",
        ),
        click.option(
            "--cert",
            metavar="PATH",
            help="CA bundle to verify the index's TLS certificate. [env: TPUBLISH_CERT, TWINE_CERT]",
        ),
        click.option(
            "--native-tls",
            is_flag=True,
            envvar="TPUBLISH_NATIVE_TLS",
            help="Trust the operating system's certificate store (needs the 'truststore' package: "
            "pip install 'tpublish[truststore]'). [env: TPUBLISH_NATIVE_TLS]",
        ),
        click.option(
            "--client-cert",
            metavar="PATH",
            envvar="TPUBLISH_CLIENT_CERT",
            help="Client certificate (PEM with key) for TLS client auth. [env: TPUBLISH_CLIENT_CERT]",
        ),
        click.option(
            "--trusted-publishing",
            type=click.Choice(["auto", "always", "never"]),
            default="auto",
            show_default=True,
            envvar="TPUBLISH_TRUSTED_PUBLISHING",
            help="Use the CI job's OIDC identity when no credential is configured (auto), "
            "only that (always), or never. [env: TPUBLISH_TRUSTED_PUBLISHING]",
        ),
        click.option(
            "--non-interactive",
            is_flag=True,
            envvar=["TPUBLISH_NON_INTERACTIVE", "TWINE_NON_INTERACTIVE"],
            help="Never prompt for credentials. [env: TPUBLISH_NON_INTERACTIVE]",
        ),
        click.option(
            "--no-keyring",
            is_flag=True,
            envvar="TPUBLISH_NO_KEYRING",
            help="Do not look for credentials in the keyring. [env: TPUBLISH_NO_KEYRING]",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


VERBOSE_HELP = (
    "Say which source each setting and the credential came from, and what each step does "
    "(never a secret)."
)
CHECK_VERBOSE_HELP = "Also say each file's project, version and type."


def _output_options(verbose_help: str) -> Callable[[F], F]:
    """--json, --verbose, --debug: how much a command says, and in what form."""

    def decorate(func: F) -> F:
        options = [
            click.option(
                "--json",
                "json_mode",
                is_flag=True,
                help="Print one JSON document on stdout instead of text, whatever happens.",
            ),
            click.option(
                "-v", "--verbose", is_flag=True, envvar="TPUBLISH_VERBOSE", help=verbose_help
            ),
            click.option(
                "--debug",
                is_flag=True,
                envvar="TPUBLISH_DEBUG",
                help="Show tracebacks (secrets still masked).",
            ),
        ]
        for option in reversed(options):
            func = option(func)
        return func

    return decorate


output_options = _output_options(VERBOSE_HELP)
check_output_options = _output_options(CHECK_VERBOSE_HELP)


CHECK_EXIT_CODES_HELP = """\b
Exit codes:
  0    no errors (warnings allowed unless --strict)
  2    a file would be refused by the index, or cannot be read
  130  interrupted"""

AUTH_EXIT_CODES_HELP = """\b
Exit codes:
  0    the diagnosis is shown (with --exchange: the index accepted the token)
  2    bad input: a bad option or config file
  3    a credential is configured but incomplete (no password)
  4    network: the index could not be reached
  5    trusted publishing: no OIDC token, or the index refused the exchange
  130  interrupted"""


def release_options(func: F) -> F:
    """How ``upload`` sends the release: what to skip, retries, timeouts, concurrency, checks."""
    options = [
        click.option(
            "--skip-existing",
            is_flag=True,
            envvar=["TPUBLISH_SKIP_EXISTING", "TWINE_SKIP_EXISTING"],
            help="Skip files already on the index with the same content. [env: TPUBLISH_SKIP_EXISTING]",
        ),
        click.option(
            "--dry-run",
            is_flag=True,
            help="Check files and settings, show what would happen, upload nothing.",
        ),
        click.option("--comment", metavar="TEXT", help="A comment stored with each file."),
        click.option(
            "--attestations",
            is_flag=True,
            envvar="TPUBLISH_ATTESTATIONS",
            help="Also upload each file's PEP 740 attestations (<file>.<kind>.attestation beside it); "
            "every file must have one. [env: TPUBLISH_ATTESTATIONS]",
        ),
        click.option(
            "--retries",
            type=click.IntRange(0, 20),
            default=4,
            show_default=True,
            envvar="TPUBLISH_RETRIES",
            help="Retries after a network failure, 5xx or 429. [env: TPUBLISH_RETRIES]",
        ),
        click.option(
            "--retry-backoff",
            type=click.FloatRange(0, 600),
            default=1.0,
            show_default=True,
            envvar="TPUBLISH_RETRY_BACKOFF",
            help="Seconds before the first retry; doubles each time.",
        ),
        click.option(
            "--connect-timeout",
            type=click.FloatRange(0.1),
            default=10.0,
            show_default=True,
            envvar="TPUBLISH_CONNECT_TIMEOUT",
            help="Seconds to wait for a connection.",
        ),
        click.option(
            "--timeout",
            type=click.FloatRange(0.1),
            default=120.0,
            show_default=True,
            envvar="TPUBLISH_TIMEOUT",
            help="Seconds to wait between two reads or writes.",
        ),
        click.option(
            "--concurrency",
            type=click.IntRange(1, 16),
            default=8,
            show_default=True,
            envvar="TPUBLISH_CONCURRENCY",
            help="Files uploaded at once (1: one after another).",
        ),
        click.option(
            "--no-check",
            "no_check",
            is_flag=True,
            envvar="TPUBLISH_NO_CHECK",
            help="Skip the deep checks (metadata fields, description rendering); archive, filename and "
            "name/version checks always run. [env: TPUBLISH_NO_CHECK]",
        ),
        click.option(
            "--no-progress",
            "--disable-progress-bar",
            "no_progress",
            is_flag=True,
            help="No progress bars: one log line per file.",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func
