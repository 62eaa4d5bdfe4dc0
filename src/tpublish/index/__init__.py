"""Talking to the index over HTTP: the client (TLS, timeouts), the streamed multipart body with
its digests, the upload and what its answer means, and the read API (JSON, simple, download).

May import only the package's root modules (``errors``, ``redact``, ``untrusted``).
"""
