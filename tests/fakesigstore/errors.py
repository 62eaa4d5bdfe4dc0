"""Refusals of the fake services and the JSON error documents each service answers them with."""

from __future__ import annotations

from typing import Any

# HTTP status -> gRPC code, as grpc-gateway maps them for Fulcio.
_GRPC_CODES = {400: 3, 401: 16, 403: 7, 404: 5, 409: 6, 429: 8, 500: 13, 501: 12, 503: 14}


class Refusal(Exception):
    """A request the service answers with an error ``status`` and ``message``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def fulcio_error(status: int, message: str) -> dict[str, Any]:
    """Fulcio's (grpc-gateway) error document: ``{"code": 16, "message": ..., "details": []}``."""
    return {"code": _GRPC_CODES.get(status, 2), "message": message, "details": []}


def rekor_error(status: int, message: str) -> dict[str, Any]:
    """Rekor's error document: ``{"code": 400, "message": ...}``."""
    return {"code": status, "message": message}
