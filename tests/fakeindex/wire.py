"""HTTP plumbing of the fake index: parsed requests, responses with custom reason phrases, and a
multipart/form-data parser that copes with bodies of tens of megabytes (one copy per part)."""

from __future__ import annotations

import email.parser
import email.utils
import http
import json
from dataclasses import dataclass, field
from email.message import Message
from functools import cached_property
from typing import Any
from urllib.parse import parse_qs, parse_qsl


@dataclass
class Part:
    """One multipart part; ``filename`` is None for plain fields."""

    name: str
    data: bytes
    filename: str | None = None
    content_type: str | None = None

    @property
    def text(self) -> str:
        return self.data.decode("utf-8", "replace")


class MultipartError(ValueError):
    pass


def _header_param(message: Message, header: str, name: str) -> str | None:
    value = message.get_param(name, header=header)
    if value is None or isinstance(value, str):
        return value
    return email.utils.collapse_rfc2231_value(value)


def _parse_part_headers(raw: bytes) -> tuple[str | None, str | None, str | None]:
    message = email.parser.HeaderParser().parsestr(raw.decode("utf-8", "surrogateescape"))
    name = _header_param(message, "content-disposition", "name")
    filename = _header_param(message, "content-disposition", "filename")
    content_type = message.get("content-type")
    if content_type is not None:
        content_type = str(content_type).split(";", 1)[0].strip().lower() or None
    return name, filename, content_type


def parse_multipart(body: bytes, content_type: str) -> list[Part]:
    """Split a multipart/form-data body into parts, in order."""
    message = Message()
    message["content-type"] = content_type
    boundary = message.get_param("boundary")
    if not isinstance(boundary, str) or not boundary:
        raise MultipartError("no boundary")
    delimiter = b"--" + boundary.encode("latin-1")
    position = body.find(delimiter)
    if position < 0:
        raise MultipartError("boundary not found")
    position += len(delimiter)
    parts: list[Part] = []
    while not body.startswith(b"--", position):
        line_end = body.find(b"\r\n", position)
        if line_end < 0:
            raise MultipartError("truncated body")
        start = line_end + 2
        end = body.find(b"\r\n" + delimiter, start)
        if end < 0:
            raise MultipartError("unterminated part")
        if body.startswith(b"\r\n", start):
            header_end, data_start = start, start + 2
        else:
            header_end = body.find(b"\r\n\r\n", start, end)
            if header_end < 0:
                raise MultipartError("part without header terminator")
            data_start = header_end + 4
        name, filename, part_type = _parse_part_headers(body[start:header_end])
        if name is not None:
            parts.append(Part(name, body[data_start:end], filename, part_type))
        position = end + 2 + len(delimiter)
    return parts


@dataclass
class Request:
    method: str
    path: str
    query_string: str
    headers: Message
    body: bytes
    base_url: str

    @cached_property
    def query(self) -> dict[str, list[str]]:
        return parse_qs(self.query_string, keep_blank_values=True)

    def header(self, name: str) -> str | None:
        value = self.headers.get(name)
        return None if value is None else str(value)

    @cached_property
    def parts(self) -> list[Part]:
        """The form as parts: multipart or urlencoded; an unparsable body gives no parts."""
        content_type = self.header("content-type") or ""
        if content_type.lower().startswith("multipart/"):
            try:
                return parse_multipart(self.body, content_type)
            except MultipartError:
                return []
        if content_type.lower().startswith("application/x-www-form-urlencoded"):
            pairs = parse_qsl(self.body.decode("utf-8", "replace"), keep_blank_values=True)
            return [Part(name, value.encode()) for name, value in pairs]
        return []

    def json(self) -> Any:
        return json.loads(self.body)


def latin1(text: str) -> str:
    """What Warehouse puts in a status line: ISO-8859-1 with ``?`` for anything else, on one line."""
    one_line = " ".join(text.splitlines())
    return one_line.encode("iso-8859-1", "replace").decode("iso-8859-1")


def phrase(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


@dataclass
class Response:
    status: int
    body: bytes = b""
    content_type: str | None = "text/html; charset=UTF-8"
    reason: str | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)

    def encode(self, *, head: bool = False, close: bool = False) -> bytes:
        reason = latin1(self.reason) if self.reason else phrase(self.status)
        lines = [
            f"HTTP/1.1 {self.status} {reason}",
            f"Date: {email.utils.formatdate(usegmt=True)}",
            "Server: fakeindex",
        ]
        if self.content_type:
            lines.append(f"Content-Type: {self.content_type}")
        lines.extend(f"{name}: {value}" for name, value in self.headers)
        lines.append(f"Content-Length: {len(self.body)}")
        if close:
            lines.append("Connection: close")
        head_bytes = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        return head_bytes if head else head_bytes + self.body


def json_response(
    status: int, payload: Any, *, headers: list[tuple[str, str]] | None = None
) -> Response:
    body = json.dumps(payload).encode()
    return Response(status, body, "application/json", headers=headers or [])
