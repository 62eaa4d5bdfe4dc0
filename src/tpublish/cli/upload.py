"""``tpublish upload``: settings, files, credential, then the release, in that order.

Nothing is sent before every file has been read and checked, a credential is in hand and the
index has been asked what it already holds. ``--dry-run`` asks the same and predicts each file's
outcome (``dryrun``).
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from packaging.utils import canonicalize_name

from tpublish.auth.credentials import no_credential_error
from tpublish.auth.login import choose_login
from tpublish.cli.attest import Attesting
from tpublish.cli.target import (
    make_http_client,
    refuse_clear_text,
    refuse_password_for_pypi,
    resolve_target,
)
from tpublish.dists import attestations
from tpublish.dists.distribution import release_url
from tpublish.errors import InternalError
from tpublish.index.multipart import hash_file
from tpublish.index.remote import Index
from tpublish.index.retry import RetryPolicy
from tpublish.output import ci
from tpublish.publish.publisher import Options, Publisher
from tpublish.publish.report import UPLOADED
from tpublish.rules.checker import check_files, raise_for_errors

if TYPE_CHECKING:
    from pathlib import Path

    import httpx

    from tpublish.auth.login import Login
    from tpublish.auth.settings import Repository
    from tpublish.cli.options import UploadOptions
    from tpublish.dists.attestations import Attested
    from tpublish.dists.distribution import Distribution
    from tpublish.errors import TPublishError
    from tpublish.output.console import Console
    from tpublish.publish.report import Report


SIGNING_IGNORED = (
    "{options}: ignored: PyPI no longer accepts signatures and tpublish makes none; "
    "PEP 740 attestations replace them (--attestations)"
)


def run_upload(console: Console, paths: list[str], options: UploadOptions) -> int:
    if options.signing:
        console.warning(SIGNING_IGNORED.format(options="/".join(options.signing)))
    repository = resolve_target(console, options.target)
    if refuse_clear_text(repository, allow_http=options.network.allow_http):
        console.warning(
            f"--allow-http: credentials and files go to {repository.url} unencrypted, "
            "readable and changeable by anyone on the way"
        )
    dists = load_files(console, paths, no_check=options.no_check, pypi=repository.is_pypi)
    digests = functools.cache(hash_file)  # each file read once for signing and the dry run
    attesting = Attesting(console, options, repository, dists, digests)
    # Signing makes the attestations --attestations sends: those are checked once signing is done.
    early = options.attestations and not attesting.may_sign
    attested = load_attestations(console, dists, attesting.sha256) if early else None
    attesting.before_login()
    interactive = not options.credentials.non_interactive and _stdin_is_a_terminal()
    with make_http_client(repository, options.network) as client:
        login = choose_login(
            console,
            repository,
            client,
            options.credentials,
            interactive=interactive and not options.dry_run,
            backoff=options.retry_backoff,
            retries=options.retries,
        )
        refuse_password_for_pypi(repository, login.credential)
        console.verbose(f"credential: {login.description}")
        try:
            attesting.after_login(login)
            if options.attestations and attested is None and not attesting.active:
                attested = load_attestations(console, dists, attesting.sha256)
            if attested is not None and login.source is not None:
                attestations.check_credential(repository.url, trusted=login.trusted is not None)
            if options.dry_run:
                from tpublish.cli.dryrun import dry_run  # only a dry run predicts outcomes

                index = Index(client, repository.url)
                return dry_run(
                    console,
                    repository,
                    index,
                    dists,
                    login,
                    interactive,
                    options,
                    attesting,
                    digests,
                )
            if login.source is None:
                raise no_credential_error(repository)
            if attesting.active:  # every file signed before the first byte is sent
                attested = attesting.sign(deadline=options.network.timeout)
            explain = attesting.explain if attesting.active else attestations.explain_refusal
            return publish_release(
                console, repository, client, dists, login, options, attested, explain
            )
        finally:
            if login.trusted is not None:
                login.trusted.burn()


def _stdin_is_a_terminal() -> bool:
    return sys.stdin is not None and sys.stdin.isatty()


def load_files(
    console: Console, paths: list[str], *, no_check: bool = False, pypi: bool = True
) -> list[Distribution]:
    """Read and check every file as ``tpublish check`` does; any error refuses the whole upload.

    ``no_check`` skips the deep checks (metadata fields, description), never the safety ones.
    PyPI's own policy (tags, normalised filenames, local versions) only warns for other indexes
    (``pypi`` False).
    """
    reports = check_files(paths, deep=not no_check, pypi=pypi)
    dists = raise_for_errors(reports)
    # One release's files share their metadata: a warning about it is said once, for them all.
    console.file_warnings([(r.filename, f.message) for r in reports for f in r.warnings])
    for dist in dists:
        console.verbose(f"checked {dist.filename}: {dist.name} {dist.version} ({dist.filetype})")
    return dists


def load_attestations(
    console: Console, dists: list[Distribution], sha256: Callable[[Path], str]
) -> Attested:
    """``--attestations``: every file's PEP 740 attestations, checked before anything is sent."""
    attested = attestations.load(dists, sha256)
    for dist in dists:
        console.verbose(f"attestations for {dist.filename}: {', '.join(attested.kinds[dist.path])}")
    return attested


def publish_release(
    console: Console,
    repository: Repository,
    client: httpx.Client,
    dists: list[Distribution],
    login: Login,
    options: UploadOptions,
    attested: Attested | None = None,
    explain: Callable[[TPublishError, Distribution], TPublishError] | None = None,
) -> int:
    assert login.source is not None
    comment = options.comment
    publish_options = Options(
        skip_existing=options.skip_existing,
        retry=RetryPolicy(retries=options.retries, backoff=options.retry_backoff),
        concurrency=options.network.concurrency,
        extra_fields=lambda dist: [
            *([("comment", comment)] if comment else []),
            *(attested.fields(dist) if attested else []),
        ],
        **(
            {"explain": explain or attestations.explain_refusal} if attested is not None else {}
        ),  # its refusals, explained
    )
    index = Index(client, repository.url)
    with console.uploading(dists) as tracker:
        report = Publisher(index, login.source, publish_options, tracker.handle).run(dists)
        report.release_urls = sorted(
            {url for d in dists if (url := release_url(repository.url, d))}
        )
        for result in report.results:  # the index stored them with the file only if it stored it
            if attested is not None and result.outcome == UPLOADED:
                result.attestations = list(attested.kinds.get(result.dist.path, ()))
        tracker.finish(report)  # the last frame of the bars says what the table will say
    console.summary(report)
    ci.report_upload(report, stream=console.commands)
    # stderr carries the failures in --json mode too: stdout is the report, the log is for people.
    for result in report.results:
        if result.error is not None:
            console.error(result.error)
            if options.output.debug and isinstance(result.error, InternalError):
                console.traceback(result.error)
        if result.check_by_hand:
            console.uncertain(result)
    _suggest_trusted_publishing(console, repository, login, report)
    return report.exit_code


def _suggest_trusted_publishing(
    console: Console, repository: Repository, login: Login, report: Report
) -> None:
    """After an upload to PyPI with a long-lived API token from CI, one line on trusted publishing."""
    if not repository.is_pypi or login.credential is None or login.credential.kind != "token":
        return
    if not any(result.outcome == UPLOADED for result in report.results):
        return
    names = sorted({str(canonicalize_name(r.dist.name)) for r in report.results})
    line = ci.trusted_publishing_nudge(repository.url, names)
    if line is not None:
        console.note(line)
