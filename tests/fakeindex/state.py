"""The fake index's data: users, tokens, publishers, projects, files, the request log and faults.

Plain dataclasses; ``FakeIndex`` owns one lock and mutates them only while holding it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from packaging.utils import canonicalize_name


@dataclass
class Publisher:
    """A trusted publisher (protocol §6.3). ``config`` holds the kind's fields, e.g. GitHub's
    ``repository_owner``, ``repository_name``, ``repository_owner_id``, ``workflow_filename``,
    ``environment``. ``projects`` are normalised names; a pending publisher has exactly one."""

    kind: str
    config: dict[str, str]
    projects: list[str]
    pending: bool = False
    owner: str | None = None
    pending_name: str | None = None  # display name of the project a pending publisher will create

    def __str__(self) -> str:
        details = ", ".join(f"{key}={value!r}" for key, value in self.config.items())
        return f"{self.kind}({details})"


@dataclass
class ApiToken:
    """A user's API token; ``projects`` None means "all projects" (a user-scoped token)."""

    value: str
    owner: str
    projects: list[str] | None = None
    expires_at: float | None = None


@dataclass
class MintedToken:
    """A short-lived token minted by trusted publishing; scoped to the publisher's projects."""

    value: str
    publisher: Publisher
    projects: list[str]
    not_before: float
    expires_at: float
    claims: dict[str, Any]
    revoked: bool = False


@dataclass
class Identity:
    """Who is uploading: a user (password or API token) or a trusted publisher (minted token)."""

    user: str | None = None
    api_token: ApiToken | None = None
    minted: MintedToken | None = None

    @property
    def is_trusted_publisher(self) -> bool:
        return self.minted is not None


@dataclass
class StoredFile:
    """One uploaded distribution, with its bytes (compare them with the original)."""

    filename: str
    project: str  # normalised name
    version: str
    sha256: str
    blake2_256: str
    md5: str
    size: int
    packagetype: str
    python_version: str
    data: bytes
    requires_python: str | None = None
    attestations: list[dict[str, Any]] | None = None
    publisher: Publisher | None = None
    uploaded_by: str | None = None
    upload_time: float = 0.0
    form: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Release:
    version: str
    created: float
    summary: str | None = None
    requires_python: str | None = None
    files: list[str] = field(default_factory=list)


@dataclass
class Project:
    name: str  # display name
    owners: set[str] = field(default_factory=set)
    upload_limit: int | None = None
    total_size_limit: int | None = None
    releases: dict[str, Release] = field(default_factory=dict)  # canonical version -> release

    @property
    def normalized(self) -> str:
        return canonicalize_name(self.name)


@dataclass
class RecordedRequest:
    """One request as the server saw it. ``form`` holds the multipart fields other than ``content``
    (values decoded as text); the file itself is only described by name, size and part type."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    form: list[tuple[str, str]] = field(default_factory=list)
    content_filename: str | None = None
    content_size: int = 0
    content_type: str | None = None
    body_size: int = 0
    json: Any = None
    status: int | None = None
    reason: str | None = None
    fault: str | None = None
    detail: str | None = None

    def field(self, name: str) -> str | None:
        """The first value of a form field, or None."""
        return next((value for key, value in self.form if key == name), None)


FAULT_KINDS = frozenset(
    {
        "status",
        "drop_before",
        "drop_after_store",
        "stall",
        "non_json",
        "trickle",
        "none",
        "after_store",
        "dribble",
        "huge",
        "slow_read",
    }
)


@dataclass
class Fault:
    """An injected failure for requests whose path starts with ``path_prefix`` (and whose method
    matches ``method`` when given). ``fired`` counts how often it was applied."""

    path_prefix: str
    kind: str
    times: int
    params: dict[str, Any]
    method: str | None = None
    fired: int = 0

    @property
    def remaining(self) -> int:
        return self.times - self.fired


class Faults:
    """Fault injection. ``add`` queues a fault; each matching request consumes the first fault that is
    not used up, in the order they were added.

    Kinds and their parameters:
    - ``status``: ``code`` (default 503), ``reason`` (message; default the standard phrase), ``body``
      (str/bytes; default a Pyramid-style error page for ``reason``) or ``json`` (any JSON value),
      ``content_type``, ``headers`` (dict), ``retry_after`` (adds ``Retry-After``). The request body
      is read first.
    - ``drop_before``: close the connection without reading the body or answering.
    - ``drop_after_store``: handle the request completely (store the upload, consume the jti, mint the
      token), then close the connection without an answer.
    - ``stall``: wait ``seconds`` (default 10) after reading the body, then handle normally.
    - ``non_json``: answer ``code`` (default 200) with an HTML ``body`` instead of JSON.
    - ``slow_read``: read the request body ``chunk`` bytes (default 65536) at a time, ``delay``
      seconds (default 0.1) apart, as through a slow link; then handle normally.
    - ``trickle``: handle normally, then send the response in ``chunk`` bytes (default 16) with
      ``delay`` seconds (default 0.05) between chunks.
    - ``none``: nothing (a place in the queue: a request that goes through as usual).
    - ``after_store``: handle the request completely (store the upload), then answer as ``status``
      would (``code``, default 503; ``reason``, ``body``, ``json``, ``content_type``, ...).
    - ``dribble``: handle normally, then send the response one byte every ``delay`` seconds
      (default 2); ``endless=True`` declares a body of a gigabyte and never ends it. ``sent``
      (set by the server) counts the bytes written before the client went away.
    - ``huge``: answer ``code`` (default 200) with a body of ``size`` bytes (default 300 MB) of
      ``fill`` (default ``"x"``), ``content_type`` (default text/html), streamed without holding
      it; ``store=True`` handles the request first. ``sent`` counts the bytes written.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.all: list[Fault] = []

    def add(
        self,
        path_prefix: str,
        kind: str,
        times: int = 1,
        *,
        method: str | None = None,
        **params: Any,
    ) -> Fault:
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; use one of {sorted(FAULT_KINDS)}")
        fault = Fault(path_prefix, kind, times, params, method.upper() if method else None)
        with self._lock:
            self.all.append(fault)
        return fault

    def take(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self.all:
                if (
                    fault.remaining > 0
                    and path.startswith(fault.path_prefix)
                    and fault.method in (None, method)
                ):
                    fault.fired += 1
                    return fault
        return None

    def fired(self, kind: str | None = None) -> int:
        """How many times faults (of ``kind``) were applied."""
        with self._lock:
            return sum(fault.fired for fault in self.all if kind in (None, fault.kind))

    def clear(self) -> None:
        with self._lock:
            self.all.clear()
