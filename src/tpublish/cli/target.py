"""The index a command talks to: its settings, the clear-text rule, and an HTTP client for it."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from tpublish.auth.settings import resolve_repository
from tpublish.errors import CredentialError, InputError
from tpublish.index.http import (  # httpx: only when needed
    Timeouts,
    TLSConfig,
    credentials_in_clear,
    make_client,
)
from tpublish.pypi import pypi_web_base

if TYPE_CHECKING:
    import httpx

    from tpublish.auth.settings import Repository, TargetOptions
    from tpublish.auth.source import Credential
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
    if not credentials_in_clear(repository.url):
        return False
    if allow_http and urlsplit(repository.url).scheme == "http":
        return True
    raise InputError(
        f"refusing to send credentials in clear text to {repository.url}",
        hint="use the index's https:// URL; plain http is accepted for 127.0.0.1/localhost, and "
        "for another host only with --allow-http (TPUBLISH_ALLOW_HTTP=1)",
    )


def refuse_password_for_pypi(repository: Repository, credential: Credential | None) -> None:
    """PyPI and TestPyPI take API tokens and trusted publishing only: say so before connecting."""
    if credential is None or not repository.is_pypi or credential.kind != "password":
        return
    base = pypi_web_base(repository.url) or "https://pypi.org"
    raise CredentialError(
        f"{base.removeprefix('https://')} does not accept a username and password "
        f"(username {credential.username!r}, from {credential.source})",
        hint=f"create an API token at {base}/manage/account/token/ and give it with --token "
        "(or TPUBLISH_TOKEN), or set up trusted publishing: "
        "https://docs.pypi.org/trusted-publishers/",
    )


def make_http_client(repository: Repository, network: NetworkOptions) -> httpx.Client:
    tls = TLSConfig(
        ca_bundle=repository.ca_bundle,
        client_cert=repository.client_cert,
        system_store=network.native_tls,
    )
    timeouts = Timeouts(connect=network.connect_timeout, transfer=network.timeout)
    # Trust settings are loaded (and refused if broken) before anything else happens for an https
    # index, and whenever this command names them (--cert, --client-cert, --native-tls, .pypirc).
    # Otherwise, for a plain-http index (this machine, or --allow-http), the default trust
    # (SSL_CERT_FILE, REQUESTS_CA_BUNDLE or certifi's bundle) is loaded only if a request needs
    # TLS after all: an https link in its listing, a trusted-publishing endpoint elsewhere.
    named = bool(tls.ca_bundle or tls.client_cert or tls.system_store)
    return make_client(
        tls=tls,
        timeouts=timeouts,
        max_connections=max(2, network.concurrency),
        tls_now=named or urlsplit(repository.url).scheme != "http",
    )
