"""The credential a release sends with each request, and where it comes from.

A ``CredentialSource`` gives the credential for the next request: a fixed one from the
settings (``StaticCredential``), or trusted publishing's minted token, renewed as it ages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from tpublish.errors import CredentialError, TPublishError


@dataclass(frozen=True)
class Credential:
    """A username and password (or API token) and where they came from; never shows the secret."""

    username: str
    password: str = field(repr=False)
    source: str
    # "token" (username __token__) | "password" | "anonymous" (no Authorization header) |
    # "client-certificate" (the TLS client certificate, with or without a username)
    kind: str
    warnings: tuple[str, ...] = ()

    @property
    def basic_auth(self) -> tuple[str, str] | None:
        """The (username, password) pair for HTTP basic auth; None: send no Authorization header.

        twine's rule: a username or a password alone is sent with the other one empty.
        """
        if not self.username and not self.password:
            return None
        return (self.username, self.password)


class CredentialSource(Protocol):
    """Gives the credential for the next request (a trusted-publishing source renews it)."""

    def current(self) -> Credential: ...

    def explain_refusal(self, error: CredentialError) -> TPublishError:
        """The error to show when the index refused this source's credential."""
        ...


@dataclass(frozen=True)
class StaticCredential:
    """A credential from the settings: the same for every request."""

    credential: Credential

    def current(self) -> Credential:
        return self.credential

    def explain_refusal(self, error: CredentialError) -> TPublishError:
        return error
