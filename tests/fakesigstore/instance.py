"""``FakeSigstore``: the CT log, Fulcio CA and Rekor log behind their two HTTP servers, with the
settings, fault switches and records a test reads, and the trust material that points at them."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pypi_attestations import Attestation, Distribution, Publisher
from sigstore.models import ClientTrustConfig, TrustedRoot
from sigstore.sign import SigningContext
from sigstore.verify import Verifier
from sigstore.verify.policy import VerificationPolicy

from . import tokens, trust
from .ct import CTLog
from .fulcio import FulcioCA
from .rekor import RekorLog
from .server import FAULT_KINDS, Fault, RecordedRequest, ServiceServer

SERVICES = ("fulcio", "rekor")


class FakeSigstore:
    """A local Sigstore (Fulcio + CT log + Rekor v1) on 127.0.0.1; use as a context manager."""

    def __init__(self, *, cert_lifetime: float = 600, seed_leaves: int = 5) -> None:
        self.clock_offset = 0.0  # seconds added to the services' clock
        self.ctlog = CTLog()
        self.fulcio = FulcioCA(self.ctlog, now=time.time(), cert_lifetime=cert_lifetime)
        self.rekor = RekorLog(seed_leaves=seed_leaves)
        self.lock = threading.Lock()
        self.faults: list[Fault] = []
        self.requests: list[RecordedRequest] = []
        self.refusals: list[str] = []  # "<service>: <status> <message>" of every refusal
        self.server_errors: list[str] = []  # tracebacks of bugs in the stand-in itself
        self._servers = {name: ServiceServer(self, name) for name in SERVICES}
        self._down: set[str] = set()
        # The trust material is valid from the CA's start, a day back, so clock skew is harmless.
        self.valid_from = self.fulcio.root.not_valid_before_utc

    # -- lifecycle -------------------------------------------------------------------------
    def __enter__(self) -> FakeSigstore:
        for server in self._servers.values():
            server.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        for name in SERVICES:
            self.take_down(name)

    def take_down(self, service: str) -> None:
        """Stop ``service``'s server: its port then refuses connections (it stays down)."""
        server = self._servers[service]
        if service not in self._down:
            self._down.add(service)
            if server.thread.is_alive():
                server.shutdown()
            server.server_close()

    # -- settings and faults ---------------------------------------------------------------
    def now(self) -> float:
        return time.time() + self.clock_offset

    def fail(self, service: str, kind: str = "status", times: int = 1, **params: Any) -> Fault:
        """Queue a fault for the next ``times`` requests to ``service`` (see ``server.Fault``)."""
        if service not in SERVICES or kind not in FAULT_KINDS:
            raise ValueError(f"unknown service {service!r} or fault kind {kind!r}")
        fault = Fault(service, kind, times, **params)
        with self.lock:
            self.faults.append(fault)
        return fault

    def take_fault(self, service: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.service == service and fault.fired < fault.times:
                    if fault.passed < fault.skip:
                        fault.passed += 1
                        return None
                    fault.fired += 1
                    return fault
        return None

    def requests_to(self, service: str, method: str | None = None) -> list[RecordedRequest]:
        with self.lock:
            return [r for r in self.requests if r.service == service and method in (None, r.method)]

    # -- addresses and trust material -------------------------------------------------------
    @property
    def fulcio_url(self) -> str:
        return self._servers["fulcio"].url

    @property
    def rekor_url(self) -> str:
        return self._servers["rekor"].url

    def trust_config_document(self) -> dict[str, Any]:
        return trust.client_trust_config(
            fulcio_url=self.fulcio_url,
            rekor_url=self.rekor_url,
            ca_chain=self.fulcio.chain,
            ctlog_key=(self.ctlog.public_der, self.ctlog.log_id),
            rekor_key=(self.rekor.public_der, self.rekor.log_id),
            start=self.valid_from,
        )

    def write_trust_config(self, path: Path) -> Path:
        """Write the ClientTrustConfig JSON (for ``--sigstore-trust-config PATH``) and return ``path``."""
        path.write_text(json.dumps(self.trust_config_document(), indent=2) + "\n")
        return path

    def trust_config(self) -> ClientTrustConfig:
        return ClientTrustConfig.from_json(json.dumps(self.trust_config_document()))

    def trusted_root(self) -> TrustedRoot:
        return self.trust_config().trusted_root

    def signing_context(self) -> SigningContext:
        return SigningContext.from_trust_config(self.trust_config())

    def verifier(self) -> Verifier:
        return Verifier(trusted_root=self.trusted_root())

    def verify(
        self,
        attestation: Attestation,
        identity: Publisher | VerificationPolicy,
        dist: Distribution,
    ) -> tuple[str, dict[str, Any] | None]:
        """``attestation.verify(identity, dist)`` against this instance's trusted root."""
        return trust.verify_attestation(attestation, identity, dist, self.trusted_root())

    # -- identity tokens --------------------------------------------------------------------
    def github_token(self, **overrides: Any) -> str:
        return tokens.github_token(**overrides)

    def gitlab_token(self, **overrides: Any) -> str:
        return tokens.gitlab_token(**overrides)


@contextmanager
def fake_sigstore(**kwargs: Any) -> Iterator[FakeSigstore]:
    """A running ``FakeSigstore`` that fails the test if the stand-in itself raised."""
    with FakeSigstore(**kwargs) as sigstore:
        yield sigstore
    assert not sigstore.server_errors, "\n".join(sigstore.server_errors)
