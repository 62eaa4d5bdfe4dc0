"""The index a command talks to: its settings, the clear-text rule, and an HTTP client for it."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from tpublish.auth.settings import resolve_repository
from tpublish.errors import InputError
from tpublish.index.http import (  # httpx: only when needed
    Timeouts,
    TLSConfig,
    is_loopback,
    make_client,
)

if TYPE_CHECKING:
    import httpx

    from tpublish.auth.settings import Repository, TargetOptions
    from tpublish.cli.options import NetworkOptions
    from tpublish.output.console import Console


def resolve_target(console: Console, target: TargetOptions) -> Repository:
    """The repository from flags, environment and ``.pypirc``; ``--verbose`` says from where."""
    repository = resolve_repository(
        repository=target.repository,
        repository_url=target.repository_url,
        config_file=target.config_file,
        cert=target.cert,
        client_cert=target.client_cert,
        env=os.environ,
    )
    console.verbose(f"repository: {repository.url} from {repository.url_source}")
    for warning in repository.warnings:
        console.warning(warning)
    if repository.ca_bundle:
        console.verbose(f"CA bundle: {repository.ca_bundle} from {repository.ca_bundle_source}")
    return repository


def refuse_clear_text(repository: Repository, *, allow_http: bool = False) -> bool:
    """Credentials never travel over plain http, except to this machine or with ``--allow-http``.

    True when this run sends them in clear text by that explicit choice (the caller warns).
    """
    parts = urlsplit(repository.url)
    if parts.scheme != "http" or is_loopback(parts.hostname):
        return False
    if allow_http:
        return True
    raise InputError(
        f"refusing to send credentials in clear text to {repository.url}",
        hint="use the index's https:// URL; plain http is accepted for 127.0.0.1/localhost, and "
        "for another host only with --allow-http (TPUBLISH_ALLOW_HTTP=1)",
    )


def make_http_client(repository: Repository, network: NetworkOptions) -> httpx.Client:
    tls = TLSConfig(
        ca_bundle=repository.ca_bundle,
        client_cert=repository.client_cert,
        system_store=network.native_tls,
    )
    timeouts = Timeouts(connect=network.connect_timeout, transfer=network.timeout)
    return make_client(tls=tls, timeouts=timeouts, max_connections=max(2, network.concurrency))
