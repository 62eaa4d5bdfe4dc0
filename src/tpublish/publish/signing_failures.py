"""Why signing failed, in words: sigstore's exceptions turned into errors that name the service,
its URL, the file being logged, the HTTP status and the service's own message.

How sigstore 4.5 and pypi-attestations raise (each case has a test against the stand-in):

- Fulcio's 4xx/5xx: ``FulcioClientError`` when the signer is entered, often with *empty* text
  (sigstore tests ``if http_error.response:``, false for an error response); the answer is on
  ``__cause__.response``.
- Rekor's refusals: ``RekorClientError("503: message")`` (or "unknown error with HTTP 500") out of
  ``Attestation.sign``, made from the ``HTTPError`` in its ``__context__``.
- No answer: ``requests.ConnectionError`` straight out of either call.
- An expired certificate or token: ``AttestationError("")`` whose ``__context__`` is
  ``ExpiredCertificate`` / ``ExpiredIdentity`` (or those, bare, from the signer).
- A certificate whose SCT the trust root cannot verify: sigstore's ``VerificationError``.

The classes are recognised by name along the exception chain: they live in sigstore's private
modules (``sigstore._internal``), whose paths may move between releases.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from tpublish.errors import SigningError, SigningUnavailable, TPublishError
from tpublish.publish.report import internal_error
from tpublish.redact import excerpt

MAX_MESSAGE = 300
IDENTITY_HINT = (
    "Fulcio certifies only a current OIDC token for the audience `sigstore` from an issuer it "
    "trusts (GitHub Actions, GitLab, ...): check the job's `sigstore` token and the runner's clock"
)
_LIBRARIES = ("sigstore", "sigstore_models", "pypi_attestations", "requests", "urllib3", "pydantic")
_NETWORK_REASONS = (
    ("Connection refused", "connection refused"),
    ("RemoteDisconnected", "the connection was closed without an answer"),
    ("Connection aborted", "the connection was closed without an answer"),
    ("Connection reset", "the connection was reset"),
    ("Name or service not known", "the host name could not be resolved"),
    ("nodename nor servname", "the host name could not be resolved"),
    ("Temporary failure in name resolution", "the host name could not be resolved"),
    ("CERTIFICATE_VERIFY_FAILED", "its TLS certificate could not be verified"),
    ("timed out", "timed out"),
)


@dataclass(frozen=True)
class Step:
    """What the signing was waiting for: the certificate (Fulcio) or one file's log entry (Rekor)."""

    service: str
    url: str
    filename: str | None = None

    @property
    def where(self) -> str:
        if self.filename is None:
            return " when asked for the signing certificate"
        return f" when asked to log the signature of {self.filename}"


def outside_text(text: str) -> str:
    """A service's or library's text, safe to show: no secret, one printable line, bounded."""
    return excerpt(text, MAX_MESSAGE).strip()


def network_reason(exc: BaseException) -> str:
    """Why a connection failed, in a few words (requests' own text runs to three nested reprs)."""
    text = " ".join(str(e) + " " + type(e).__name__ for e in _chain(exc))
    for marker, reason in _NETWORK_REASONS:
        if marker in text:
            return reason
    return outside_text(str(exc)) or type(exc).__name__


def retry_hint(public: bool) -> str:
    where = (
        "Sigstore may be having trouble (https://status.sigstore.dev)"
        if public
        else "check the Sigstore instance named by --sigstore-trust-config"
    )
    return f"{where}; retry later, or upload with --no-attest"


def explain(exc: BaseException, step: Step, trust: Any) -> TPublishError:
    """The error a person reads for ``exc``, raised while waiting for ``step``."""
    import requests  # sigstore's HTTP library: loaded already when signing failed

    chain = list(_chain(exc))
    names = {cls.__name__ for error in chain for cls in type(error).__mro__}
    retry = retry_hint(bool(getattr(trust, "public", False)))
    if "ExpiredCertificate" in names:
        return SigningError(
            f"the signing certificate expired{step.where}",
            hint="Fulcio's certificates last about 10 minutes: check the runner's clock, or sign "
            "fewer files per run",
        )
    if "ExpiredIdentity" in names:
        return SigningError(
            "the job's `sigstore` OIDC token expired before Fulcio was asked for a certificate",
            hint="check the runner's clock; a GitLab ID token lasts as long as the job's timeout",
        )
    fulcio = _find(chain, "FulcioClientError")
    if fulcio is not None:
        return _fulcio(fulcio, step.url, retry)
    rekor = _find(chain, "RekorClientError")
    if rekor is not None:
        return _rekor(rekor, step, retry)
    unreachable = next((e for e in chain if isinstance(e, requests.RequestException)), None)
    if unreachable is not None:
        return SigningUnavailable(
            f"could not reach {step.service} at {step.url}{step.where}: "
            f"{network_reason(unreachable)}",
            hint=retry,
        )
    if "IdentityError" in names:
        return SigningError(
            f"Sigstore refused the job's `sigstore` OIDC token: {_text(exc)}", hint=IDENTITY_HINT
        )
    if "VerificationError" in names:
        return SigningError(
            f"the certificate from Fulcio at {step.url} does not verify against the trust root "
            f"({getattr(trust, 'source', '?')}): {_text(exc)}",
            hint="the trust configuration's certificate authority or CT log keys are not this "
            "Fulcio's: check --sigstore-trust-config",
        )
    if type(exc).__module__.split(".")[0] in _LIBRARIES:
        return SigningError(f"signing failed{step.where}: {_text(exc)}", hint=retry)
    return internal_error(exc) if isinstance(exc, Exception) else SigningError(_text(exc))


def _fulcio(exc: BaseException, url: str, retry: str) -> TPublishError:
    response = getattr(exc.__cause__, "response", None)
    status = getattr(response, "status_code", None)
    message = _answer(response) or _text(exc)
    if not isinstance(status, int):
        return SigningError(f"Fulcio at {url} gave an unusable answer: {message}", hint=retry)
    if status >= 500 or status == 429:
        return SigningUnavailable(f"Fulcio at {url} failed ({status}): {message}", hint=retry)
    if status in (401, 403):
        return SigningError(
            f"Fulcio at {url} refused the job's identity ({status}): {message}", hint=IDENTITY_HINT
        )
    return SigningError(
        f"Fulcio at {url} refused the certificate request ({status}): {message}",
        hint="the request is sigstore-python's own: if this persists, check that the Sigstore "
        "instance runs a current Fulcio, and report it with the output of --debug",
    )


def _rekor(exc: BaseException, step: Step, retry: str) -> TPublishError:
    response = getattr(exc.__context__, "response", None)
    status = getattr(response, "status_code", None)
    if not isinstance(status, int):
        found = re.search(r"\b([1-5]\d\d)\b", str(exc))
        status = int(found.group(1)) if found else None
    message = _answer(response) or re.sub(r"^\d{3}: ", "", _text(exc))
    what = f"the signature of {step.filename}" if step.filename else "a signature"
    if status is None or status >= 500 or status == 429:
        shown = f" ({status})" if status else ""
        return SigningUnavailable(
            f"Rekor at {step.url} failed{shown} when asked to log {what}: {message}", hint=retry
        )
    return SigningError(
        f"Rekor at {step.url} refused to log {what} ({status}): {message}",
        hint="the transparency log refused the entry: retry; if it persists, report it to the "
        "Sigstore instance's operators (or upload with --no-attest)",
    )


def _answer(response: Any) -> str:
    """The service's ``message`` from its JSON error document, else its short plain text."""
    if response is None:
        return ""
    try:
        document = response.json()
    except ValueError:
        document = None
    if isinstance(document, dict) and isinstance(document.get("message"), str):
        return outside_text(document["message"])
    text = str(getattr(response, "text", "") or "").strip()
    if not text or text.startswith("<"):  # an HTML error page: its status line says as much
        return outside_text(str(getattr(response, "reason", "") or ""))
    return outside_text(text)


def _text(exc: BaseException) -> str:
    """The first non-empty text along the chain (sigstore often raises with none)."""
    for error in _chain(exc):
        if str(error).strip():
            return outside_text(str(error))
    return type(exc).__name__


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _find(chain: list[BaseException], name: str) -> BaseException | None:
    return next((e for e in chain if any(c.__name__ == name for c in type(e).__mro__)), None)
