"""``tpublish upload``: settings, files, credential, then the release, in that order.

Nothing is sent before every file has been read and checked and a credential is in hand.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from tpublish.auth.credentials import no_credential_error
from tpublish.auth.login import choose_login
from tpublish.cli.target import make_http_client, refuse_clear_text, resolve_target
from tpublish.dists import attestations
from tpublish.dists.distribution import release_url
from tpublish.errors import EXIT_CREDENTIALS, EXIT_OK
from tpublish.index.multipart import hash_file
from tpublish.index.remote import Index
from tpublish.output import ci
from tpublish.publish.publisher import Options, Publisher
from tpublish.publish.retry import RetryPolicy
from tpublish.rules.checker import check_files, is_pypi, raise_for_errors
from tpublish.units import human_size

if TYPE_CHECKING:
    import httpx

    from tpublish.auth.login import Login
    from tpublish.auth.settings import Repository
    from tpublish.cli.options import UploadOptions
    from tpublish.dists.attestations import Attested
    from tpublish.dists.distribution import Distribution
    from tpublish.index.multipart import Digests
    from tpublish.output.console import Console


def run_upload(console: Console, paths: list[str], options: UploadOptions) -> int:
    repository = resolve_target(console, options.target)
    refuse_clear_text(repository)
    dists = load_files(console, paths, no_check=options.no_check, upload_url=repository.url)
    attested = load_attestations(console, dists) if options.attestations else None
    interactive = not options.credentials.non_interactive and _stdin_is_a_terminal()
    with make_http_client(repository, options.network) as client:
        login = choose_login(
            console,
            repository,
            client,
            options.credentials,
            interactive=interactive and not options.dry_run,
            backoff=options.retry_backoff,
        )
        console.verbose(f"credential: {login.description}")
        try:
            if attested is not None and login.source is not None:
                attestations.check_credential(repository.url, trusted=login.trusted is not None)
            if options.dry_run:
                return dry_run(console, repository, dists, login, interactive)
            if login.source is None:
                raise no_credential_error(repository)
            return publish_release(console, repository, client, dists, login, options, attested)
        finally:
            if login.trusted is not None:
                login.trusted.burn()


def _stdin_is_a_terminal() -> bool:
    return sys.stdin is not None and sys.stdin.isatty()


def load_files(
    console: Console, paths: list[str], *, no_check: bool = False, upload_url: str | None = None
) -> list[Distribution]:
    """Read and check every file as ``tpublish check`` does; any error refuses the whole upload.

    ``no_check`` skips the deep checks (metadata fields, description), never the safety ones.
    PyPI's own policy (tags, normalised filenames, local versions) only warns for other indexes.
    """

    reports = check_files(paths, deep=not no_check, pypi=is_pypi(upload_url))
    dists = raise_for_errors(reports)
    # One release's files share their metadata: a warning about it is said once, for them all.
    console.file_warnings([(r.filename, f.message) for r in reports for f in r.warnings])
    for dist in dists:
        console.verbose(f"checked {dist.filename}: {dist.name} {dist.version} ({dist.filetype})")
    return dists


def load_attestations(console: Console, dists: list[Distribution]) -> Attested:
    """``--attestations``: every file's PEP 740 attestations, checked before anything is sent."""
    attested = attestations.load(dists, lambda path: hash_file(path).sha256)
    for dist in dists:
        console.verbose(f"attestations for {dist.filename}: {', '.join(attested.kinds[dist.path])}")
    return attested


def plan_document(
    repository: Repository,
    dists: list[Distribution],
    digests: dict[Any, Digests],
    login: Login,
    would_start: bool,
) -> dict[str, Any]:
    """What a real run would do, as the ``--json`` document of a dry run."""
    return {
        "dry_run": True,
        "repository_url": repository.url,
        "repository_source": repository.url_source,
        "credential": login.description if login.source is not None else None,
        "trusted_publishing": login.trusted is not None,
        "would_start": would_start,
        "exit_code": EXIT_OK if would_start else EXIT_CREDENTIALS,
        "files": [
            {
                "filename": d.filename,
                "path": str(d.path),
                "name": d.name,
                "version": d.version,
                "filetype": d.filetype,
                "size": d.size,
                "sha256": digests[d.path].sha256,
                "blake2_256": digests[d.path].blake2_256,
                "warnings": list(d.warnings),
                "outcome": "would upload",
            }
            for d in dists
        ],
    }


def dry_run(
    console: Console,
    repository: Repository,
    dists: list[Distribution],
    login: Login,
    interactive: bool,
) -> int:

    would_start = login.source is not None or interactive
    digests = {d.path: hash_file(d.path) for d in dists}
    if console.json_mode:
        console.emit_json(plan_document(repository, dists, digests, login, would_start))
    else:
        files = f"{len(dists)} file" + ("" if len(dists) == 1 else "s")
        console.info(f"Dry run: would upload {files} to {repository.url}")
        for dist in dists:
            console.info(
                f"  {dist.filename} ({human_size(dist.size)}) sha256={digests[dist.path].sha256}"
            )
        if login.trusted is not None:
            console.info(f"  as {login.description}: token exchange succeeded")
        elif login.source is not None:
            console.info(f"  as {login.description}")
        elif interactive:
            console.info("  no credential configured: a real run would prompt for one")
    if not would_start:
        raise no_credential_error(repository)
    return EXIT_OK


def publish_release(
    console: Console,
    repository: Repository,
    client: httpx.Client,
    dists: list[Distribution],
    login: Login,
    options: UploadOptions,
    attested: Attested | None = None,
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
            {"explain": attestations.explain_refusal} if attested is not None else {}
        ),  # its refusals, explained
    )
    index = Index(client, repository.url)
    with console.uploading(dists) as tracker:
        report = Publisher(index, login.source, publish_options, tracker.handle).run(dists)
        report.release_urls = sorted(
            {url for d in dists if (url := release_url(repository.url, d))}
        )
        tracker.finish(report)  # the last frame of the bars says what the table will say
    console.summary(report)
    ci.report_upload(report, stream=sys.stderr if console.json_mode else None)
    # stderr carries the failures in --json mode too: stdout is the report, the log is for people.
    for result in report.results:
        if result.error is not None:
            console.error(result.error)
    return report.exit_code
