"""What every rule returns: a ``Finding`` (severity, a stable code, one line for a person)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]
ERROR: Severity = "error"
WARNING: Severity = "warning"


@dataclass(frozen=True)
class Finding:
    """One problem with one file: errors make the index refuse it, warnings do not."""

    severity: Severity
    code: str
    message: str


def error(code: str, message: str) -> Finding:
    return Finding(ERROR, code, message)


def warning(code: str, message: str) -> Finding:
    return Finding(WARNING, code, message)
