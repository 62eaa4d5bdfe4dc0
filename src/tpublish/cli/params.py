"""The command line's parameters: options shared by several commands, help texts, exit codes.

Only click is imported here, so that ``tpublish --help`` and ``--version`` start fast. Which
heading each option is listed under in ``--help`` is ``helptext.HELP_SECTIONS``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])

EXIT_CODES_HELP = """\b
Exit codes:
  0    every file uploaded or skipped (--dry-run: as a real run would exit)
  1    the index refused a file or already holds one (see the report), or a
       file is uncertain: the report says how to check it by hand
  2    bad input: a missing or invalid file, a bad option or config file
  3    credentials missing, or refused by the index (401/403)
  4    network: connection, timeout, TLS, or the index kept failing
  5    trusted publishing: no CI identity, or the exchange or signing failed
  130  interrupted (re-run with --skip-existing to finish the release)"""


# Shell completion offers file names; unreadable or missing files are reported by tpublish itself.
DIST_PATHS = click.Path(readable=False)


class AliasedChoice(click.Choice):  # type: ignore[type-arg]
    """A choice that also takes other tools' spellings (uv's ``automatic``), shown only by name."""

    def __init__(self, choices: list[str], aliases: dict[str, str]) -> None:
        super().__init__(choices)
        self.aliases = aliases

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        return super().convert(self.aliases.get(value, value), param, ctx)


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
            help="The .pypirc to read. [default: ~/.pypirc; env: TPUBLISH_CONFIG_FILE]",
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
            help="Client certificate (one PEM file with its key) for TLS client auth; with no "
            "password it is the whole credential. [env: TPUBLISH_CLIENT_CERT]",
        ),
        click.option(
            "--allow-http",
            is_flag=True,
            envvar="TPUBLISH_ALLOW_HTTP",
            help="Allow a plain http:// index on another host: credentials and files travel "
            "unencrypted (warned on every run). [env: TPUBLISH_ALLOW_HTTP]",
        ),
        click.option(
            "--trusted-publishing",
            type=AliasedChoice(["auto", "always", "never"], {"automatic": "auto"}),
            default="auto",
            show_default=True,
            envvar="TPUBLISH_TRUSTED_PUBLISHING",
            help="Use the CI job's OIDC identity when no credential is configured (auto, also "
            "spelt automatic), only that (always: a configured password or token is an error), "
            "or never. [env: TPUBLISH_TRUSTED_PUBLISHING]",
        ),
        click.option(
            "--non-interactive",
            is_flag=True,
            envvar="TPUBLISH_NON_INTERACTIVE",
            help="Never prompt for credentials. [env: TPUBLISH_NON_INTERACTIVE, "
            "TWINE_NON_INTERACTIVE]",
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
            envvar="TPUBLISH_SKIP_EXISTING",
            help="Skip files already on the index with the same content (checked before the "
            "first byte is sent). [env: TPUBLISH_SKIP_EXISTING]",
        ),
        click.option(
            "--dry-run",
            is_flag=True,
            help="Check files, settings and what the index already holds; show each file's "
            "outcome and exit as a real run would; upload nothing.",
        ),
        click.option("-c", "--comment", metavar="TEXT", help="A comment stored with each file."),
        click.option(
            "--attestations",
            is_flag=True,
            envvar="TPUBLISH_ATTESTATIONS",
            help="Also upload each file's PEP 740 attestations (<file>.<kind>.attestation beside it); "
            "every file must have one. [env: TPUBLISH_ATTESTATIONS]",
        ),
        click.option(
            "--attest/--no-attest",
            default=None,
            envvar="TPUBLISH_ATTEST",
            help="Sign each file with the CI job's identity (Sigstore) into a PEP 740 publish "
            "attestation, write it beside the file (<file>.publish.attestation) and upload it "
            "with the file. Default: on for trusted publishing to PyPI or TestPyPI when "
            "tpublish[attest] is installed. [env: TPUBLISH_ATTEST]",
        ),
        click.option(
            "--sigstore-trust-config",
            metavar="PATH",
            envvar="TPUBLISH_SIGSTORE_TRUST_CONFIG",
            help="Sign with the Sigstore instance of this client trust configuration (JSON: "
            "trusted root and signing config). [default: Sigstore's public instance; env: "
            "TPUBLISH_SIGSTORE_TRUST_CONFIG]",
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
            help="Seconds to wait between two reads or writes, and for a whole answer.",
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
        # twine's GPG options: accepted so that twine command lines keep working, then ignored.
        click.option(
            "-s",
            "--sign",
            is_flag=True,
            help="Ignored, with a warning (twine's GPG signing): PyPI no longer accepts "
            "signatures; use --attestations.",
        ),
        click.option("--sign-with", metavar="PROGRAM", help="Ignored, with a warning (twine's)."),
        click.option("-i", "--identity", metavar="KEY", help="Ignored, with a warning (twine's)."),
    ]
    for option in reversed(options):
        func = option(func)
    return func
