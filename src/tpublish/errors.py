"""The exception tree and the exit-code table.

Every failure a user can cause or meet is a ``TPublishError``: one line saying what went wrong
(naming the file where there is one) and, optionally, one line saying what to do. ``cli`` catches
them once and exits with the class's code:

====  =========================================================================================
code  meaning
====  =========================================================================================
0     every file was uploaded or skipped (``--dry-run`` exits as the real run would; ``check``:
      nothing wrong)
1     the index refused at least one file, or already holds one (the report says which and
      why), or a file is ``uncertain``: the index says a file of its name exists but offers no
      way to check that it is ours (the report says how to check by hand)
2     bad input: a missing or invalid distribution, a bad option, an unreadable config file
3     credentials: none found, or the index refused them (401/403)
4     network: could not connect, timed out, TLS failure, or the index (or Sigstore) kept
      failing (5xx)
5     trusted publishing: the CI identity could not be obtained or exchanged for a token, or
      Sigstore would not sign with it (``--attest``)
130   interrupted (Ctrl-C); files already uploaded are listed in the report
====  =========================================================================================
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pathlib costs ~4 ms at start-up, and --help needs these exit codes
    from pathlib import Path

EXIT_OK = 0
EXIT_UPLOAD = 1
EXIT_INPUT = 2
EXIT_CREDENTIALS = 3
EXIT_NETWORK = 4
EXIT_TRUSTED_PUBLISHING = 5
EXIT_INTERRUPTED = 130


class TPublishError(Exception):
    """Base of every error shown to a user: a one-line message, an optional hint and detail lines."""

    exit_code = EXIT_UPLOAD

    def __init__(
        self,
        message: str,
        hint: str | None = None,
        *,
        path: Path | None = None,
        details: tuple[str, ...] = (),
    ) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.path = path
        self.details = details  # further lines shown under the message (e.g. token claims)

    def __str__(self) -> str:
        if self.path is not None:
            # The path as the user gave it (``dist/x.whl``), so the message points at the file.
            return f"{self.path}: {self.message}"
        return self.message


class InternalError(TPublishError):
    """A bug in tpublish, shown like any error; ``__cause__`` holds the exception (``--debug``)."""


class InputError(TPublishError):
    """Bad input: options, paths, configuration files."""

    exit_code = EXIT_INPUT


class DistributionError(InputError):
    """A distribution file that cannot be uploaded as it is (``path`` names it)."""


class CredentialError(TPublishError):
    """No usable credential, or the index refused the one we sent."""

    exit_code = EXIT_CREDENTIALS


class UploadError(TPublishError):
    """The index refused a file for a reason other than credentials."""

    exit_code = EXIT_UPLOAD


class NetworkError(TPublishError):
    """The index could not be reached, or kept failing in a way worth retrying."""

    exit_code = EXIT_NETWORK


class TrustedPublishingError(TPublishError):
    """The ambient CI identity could not be obtained or exchanged for an upload token."""

    exit_code = EXIT_TRUSTED_PUBLISHING


class SigningError(TrustedPublishingError):
    """``--attest``: the CI identity could not sign (no ``sigstore`` token, Fulcio or Rekor refused)."""


class SigningUnavailable(SigningError):
    """``--attest``: Sigstore (Fulcio, Rekor, its trust root) could not be reached or kept failing."""

    exit_code = EXIT_NETWORK
