"""Sign files into PEP 740 publish attestations with Sigstore: the one module that imports
``sigstore`` and ``pypi_attestations``.

Those libraries take about 0.3 s to import, so every import of them is inside a function that only
a run that signs (or a dry run that checks it could) calls; ``extra_installed`` asks without
importing. The calls are the ones gh-action-pypi-publish makes:

- ``ClientTrustConfig.from_json(text)`` for ``--sigstore-trust-config``, else
  ``ClientTrustConfig.production()`` (Sigstore's public instance, its trust root fetched by TUF);
- ``SigningContext.from_trust_config(config).signer(IdentityToken(token))``: entering it asks Fulcio
  for one short-lived certificate, used for every file of the run;
- ``Attestation.sign(signer, Distribution(name=filename, digest=sha256))`` per file: one DSSE
  entry in the transparency log (Rekor) each.

sigstore's HTTP calls have no timeout, so the work runs in a daemon thread and each step (the
certificate, then each file's log entry) must finish within ``deadline`` seconds; a step that does
not is reported as the service not answering. Failures are explained in ``signing_failures``.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from tpublish.errors import InputError, SigningError, SigningUnavailable
from tpublish.publish.signing_failures import (
    Step,
    explain,
    network_reason,
    outside_text,
    retry_hint,
)
from tpublish.untrusted import printable

INSTALL_LINE = "pip install 'tpublish[attest]'"
PUBLIC_INSTANCE = "Sigstore's public instance"
TUF_URL = "https://tuf-repo-cdn.sigstore.dev"
BUILD_CONFIG_URI = "1.3.6.1.4.1.57264.1.18"  # Fulcio's certificate extension naming the workflow


def extra_installed() -> bool:
    """Whether ``tpublish[attest]`` is installed (asked without importing anything heavy)."""
    return all(find_spec(name) is not None for name in ("sigstore", "pypi_attestations"))


def require_extra(option: str = "--attest") -> None:
    if not extra_installed():
        raise InputError(
            f"{option} needs the Sigstore libraries, which are not installed",
            hint=f"install them with: {INSTALL_LINE}",
        )


@dataclass(frozen=True)
class Trust:
    """A Sigstore instance: its client trust configuration, where it came from, its services."""

    config: Any  # sigstore.models.ClientTrustConfig
    path: str | None  # --sigstore-trust-config; None: the public instance
    fulcio_url: str
    rekor_url: str

    @property
    def public(self) -> bool:
        return self.path is None

    @property
    def source(self) -> str:
        if self.path is None:
            return PUBLIC_INSTANCE
        return f"the Sigstore instance of {printable(self.path)}"


def load_trust(path: str | None) -> Trust:
    """``--sigstore-trust-config PATH`` (a ClientTrustConfig JSON document), or the public instance."""
    from sigstore.errors import Error as SigstoreError
    from sigstore.models import ClientTrustConfig

    if path is None:
        try:
            config = ClientTrustConfig.production()
        except (SigstoreError, OSError, ValueError) as exc:
            raise SigningUnavailable(
                f"could not fetch the trust root of {PUBLIC_INSTANCE} from {TUF_URL}: "
                f"{network_reason(exc)}",
                hint="check the job's network access to *.sigstore.dev, or upload with --no-attest",
            ) from exc
        try:
            return _services(config, None)
        except (ValueError, SigstoreError) as exc:
            raise SigningError(
                f"{PUBLIC_INSTANCE} published a trust configuration this sigstore release cannot "
                f"use: {_validation_text(exc)}",
                hint=f"upgrade tpublish's Sigstore libraries ({INSTALL_LINE} --upgrade), or "
                "upload with --no-attest",
            ) from exc
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise InputError(
            f"--sigstore-trust-config {printable(path)}: cannot be read: {reason}"
        ) from exc
    try:
        config = ClientTrustConfig.from_json(text)
        return _services(config, path)
    except (ValueError, SigstoreError) as exc:
        raise InputError(
            f"--sigstore-trust-config {printable(path)}: not a Sigstore client trust configuration: "
            f"{_validation_text(exc)}",
            hint="give the JSON document of media type "
            "application/vnd.dev.sigstore.clienttrustconfig.v0.1+json (trustedRoot + signingConfig)",
        ) from exc


def _services(config: Any, path: str | None) -> Trust:
    signing_config = config.signing_config
    config.trusted_root  # noqa: B018  (parsed now: a broken root is a bad file, not a signing failure)
    fulcio = signing_config.get_fulcio()
    rekor = signing_config.get_tlogs()[0]
    return Trust(config, path, str(fulcio.url), str(getattr(rekor, "url", rekor)))


def _validation_text(exc: Exception) -> str:
    """pydantic's first complaint as ``field: message``, or the error's own text, on one line."""
    errors = getattr(exc, "errors", None)
    if callable(errors):
        try:
            first = errors()[0]
            where = ".".join(str(part) for part in first.get("loc", ()))
            return outside_text(f"{where}: {first['msg']}" if where else str(first["msg"]))
        except (TypeError, KeyError, IndexError):
            pass
    return outside_text(str(exc)) or type(exc).__name__


def check_token(token: str) -> None:
    """sigstore's own checks of the token, before Fulcio sees it: audience, claims, validity."""
    from sigstore.oidc import IdentityError, IdentityToken

    try:
        IdentityToken(token)
    except IdentityError as exc:
        cause = f" ({outside_text(str(exc.__cause__))})" if exc.__cause__ else ""
        raise SigningError(
            f"the job's `sigstore` OIDC token is not one Sigstore accepts: {exc}{cause}",
            hint="it must be a current token for the audience `sigstore` with iss, sub, iat and "
            "exp claims; check the runner's clock",
        ) from exc


@dataclass(frozen=True)
class ToSign:
    path: Path
    filename: str
    sha256: str


@dataclass(frozen=True)
class Signed:
    """One file's attestation, as written beside it, and where it sits in the log."""

    item: ToSign
    text: str  # the attestation's JSON
    log_index: int | None
    signed_as: str | None  # the certificate's Build Config URI (the workflow that signed)


def sign_all(
    items: Sequence[ToSign],
    token: str,
    trust: Trust,
    *,
    deadline: float,
    on_signed: Callable[[Signed], None],
) -> None:
    """Sign every item with one certificate; ``on_signed`` gets each as soon as it is logged.

    Raises a ``SigningError`` (or ``SigningUnavailable``) at the first failure: no later file is
    signed. ``on_signed`` runs in the calling thread.
    """
    steps: queue.Queue[tuple[str, Any]] = queue.Queue()
    stop = threading.Event()  # set when this call returns: a worker still busy signs no more
    worker = threading.Thread(
        target=_work, args=(items, token, trust, steps, stop), name="tpublish-sigstore", daemon=True
    )
    worker.start()
    step = Step("Fulcio", trust.fulcio_url)
    position = 0
    try:
        while True:
            try:
                kind, value = steps.get(timeout=deadline)
            except queue.Empty:
                raise SigningUnavailable(
                    f"{step.service} at {step.url} did not answer within {deadline:g} s{step.where}",
                    hint=f"{retry_hint(trust.public)}; a slow instance may need a longer --timeout",
                ) from None
            if kind == "failed":
                raise explain(value, step, trust) from value
            if kind == "done":
                return
            if kind == "signed":
                on_signed(value)
                position += 1
            if position < len(items):
                step = Step("Rekor", trust.rekor_url, items[position].filename)
    finally:
        stop.set()


def _quiet_sigstore() -> None:
    """sigstore logs a warning when a timestamp authority fails (the signature stands without
    it); without a handler Python would print that, unfiltered, on stderr. tpublish speaks for it."""
    logger = logging.getLogger("sigstore")
    if not logger.handlers:
        logger.addHandler(logging.NullHandler())


def _work(
    items: Sequence[ToSign],
    token: str,
    trust: Trust,
    steps: queue.Queue[Any],
    stop: threading.Event,
) -> None:
    """The signing itself, in the worker thread; every outcome goes to ``steps``."""
    try:
        from pypi_attestations import Attestation, Distribution
        from sigstore.oidc import IdentityToken
        from sigstore.sign import SigningContext

        _quiet_sigstore()
        context = SigningContext.from_trust_config(trust.config)
        with context.signer(IdentityToken(token)) as signer:
            steps.put(("certificate", None))
            for item in items:
                if stop.is_set():
                    return
                dist = Distribution(name=item.filename, digest=item.sha256)
                steps.put(("signed", _signed(item, Attestation.sign(signer, dist))))
        steps.put(("done", None))
    except Exception as exc:  # noqa: BLE001  (every failure is the calling thread's to explain)
        steps.put(("failed", exc))


def _signed(item: ToSign, attestation: Any) -> Signed:
    entries = attestation.verification_material.transparency_entries
    index = entries[0].get("logIndex") if entries else None
    workflow = attestation.certificate_claims.get(BUILD_CONFIG_URI)
    return Signed(
        item,
        attestation.model_dump_json(),
        int(index) if isinstance(index, (int, str)) and str(index).isdigit() else None,
        outside_text(workflow) if workflow else None,
    )


def signed_as(text: str) -> str | None:
    """The workflow an attestation's certificate names (its Build Config URI), if it says."""
    from pypi_attestations import Attestation

    try:
        claims: dict[str, str] = Attestation.model_validate_json(text).certificate_claims
    except ValueError:
        return None
    value = claims.get(BUILD_CONFIG_URI)
    return outside_text(value) if value else None
