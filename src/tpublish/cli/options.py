"""Each command's options as one typed, frozen object, built once from click's keyword arguments.

The parts each layer consumes are that layer's own types (``TargetOptions`` for the settings,
``CredentialOptions`` for the login); this module only assembles them, so nothing below the
command line sees a ``dict`` of options.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from tpublish.auth.login import CredentialOptions
from tpublish.auth.settings import TargetOptions


@dataclass(frozen=True)
class OutputOptions:
    json: bool = False
    verbose: bool = False
    debug: bool = False
    progress: bool = True


@dataclass(frozen=True)
class NetworkOptions:
    connect_timeout: float = 10.0
    timeout: float = 120.0  # seconds between two reads or writes
    native_tls: bool = False
    concurrency: int = 1
    allow_http: bool = False  # plain http to a host other than this machine, by explicit choice


@dataclass(frozen=True)
class UploadOptions:
    target: TargetOptions
    credentials: CredentialOptions
    network: NetworkOptions
    output: OutputOptions
    skip_existing: bool = False
    dry_run: bool = False
    comment: str | None = None
    attestations: bool = False
    attest: bool | None = None  # None: decided by the run (trusted publishing to PyPI)
    sigstore_trust_config: str | None = None
    retries: int = 4
    retry_backoff: float = 1.0
    no_check: bool = False
    signing: tuple[str, ...] = ()  # twine's GPG options given on the command line (ignored)


@dataclass(frozen=True)
class CheckOptions:
    output: OutputOptions
    strict: bool = False


@dataclass(frozen=True)
class AuthOptions:
    target: TargetOptions
    credentials: CredentialOptions
    network: NetworkOptions
    output: OutputOptions
    exchange: bool = False


def _output(kwargs: dict[str, Any], *, progress: bool = False) -> OutputOptions:
    return OutputOptions(
        json=kwargs["json_mode"],
        verbose=kwargs["verbose"],
        debug=kwargs["debug"],
        progress=progress,
    )


def _target(kwargs: dict[str, Any]) -> TargetOptions:
    return TargetOptions(
        repository=kwargs["repository"],
        repository_url=kwargs["repository_url"],
        config_file=kwargs["config_file"],
        cert=kwargs["cert"],
        client_cert=kwargs["client_cert"],
    )


def _credentials(kwargs: dict[str, Any]) -> CredentialOptions:
    return CredentialOptions(
        token=kwargs["token"],
        username=kwargs["username"],
        password=kwargs["password"],
        no_keyring=kwargs["no_keyring"],
        trusted_publishing=kwargs["trusted_publishing"],
        non_interactive=kwargs["non_interactive"] or _twine_non_interactive(),
    )


def _twine_non_interactive() -> bool:
    """``TWINE_NON_INTERACTIVE`` as twine reads it: any value but empty, 0, false or no is on.

    Only when ``TPUBLISH_NON_INTERACTIVE`` is not set: our own variable (click's rule) comes first.
    """
    if os.environ.get("TPUBLISH_NON_INTERACTIVE"):
        return False
    value = os.environ.get("TWINE_NON_INTERACTIVE", "")
    return bool(value) and value.lower() not in ("0", "false", "no")


def _signing(kwargs: dict[str, Any]) -> tuple[str, ...]:
    given = (("--sign", kwargs["sign"]), ("--sign-with", kwargs["sign_with"]))
    return tuple(name for name, value in (*given, ("--identity", kwargs["identity"])) if value)


def _network(kwargs: dict[str, Any]) -> NetworkOptions:
    return NetworkOptions(
        connect_timeout=kwargs["connect_timeout"],
        timeout=kwargs["timeout"],
        native_tls=kwargs["native_tls"],
        concurrency=kwargs["concurrency"],
        allow_http=kwargs["allow_http"],
    )


def upload_options(kwargs: dict[str, Any]) -> UploadOptions:
    return UploadOptions(
        target=_target(kwargs),
        credentials=_credentials(kwargs),
        network=_network(kwargs),
        output=_output(kwargs, progress=not kwargs["no_progress"]),
        skip_existing=kwargs["skip_existing"],
        dry_run=kwargs["dry_run"],
        comment=kwargs["comment"],
        attestations=kwargs["attestations"],
        attest=kwargs["attest"],
        sigstore_trust_config=kwargs["sigstore_trust_config"],
        retries=kwargs["retries"],
        retry_backoff=kwargs["retry_backoff"],
        no_check=kwargs["no_check"],
        signing=_signing(kwargs),
    )


def check_options(kwargs: dict[str, Any]) -> CheckOptions:
    return CheckOptions(output=_output(kwargs), strict=kwargs["strict"])


def auth_options(kwargs: dict[str, Any]) -> AuthOptions:
    return AuthOptions(
        target=_target(kwargs),
        credentials=_credentials(kwargs),
        network=_network(kwargs),
        output=_output(kwargs),
        exchange=kwargs["exchange"],
    )
