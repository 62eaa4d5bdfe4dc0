"""The two DER encodings the stand-in writes by hand: OCTET STRING and UTF8String.

cryptography writes whole certificates, but Fulcio's custom extensions and the embedded SCT list are
added as ``UnrecognizedExtension`` whose value is the raw DER of the extension's content.
"""

from __future__ import annotations


def _length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    size = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(size)]) + size


def octet_string(data: bytes) -> bytes:
    """DER ``OCTET STRING`` (tag 0x04)."""
    return b"\x04" + _length(len(data)) + data


def utf8_string(text: str) -> bytes:
    """DER ``UTF8String`` (tag 0x0C): how Fulcio encodes its v2 claim extensions (OIDs ...57264.1.8+)."""
    data = text.encode("utf-8")
    return b"\x0c" + _length(len(data)) + data
