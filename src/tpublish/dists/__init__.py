"""The distributions: finding the files named, reading wheels and sdists and their core metadata
in bounded time and memory, the upload form's fields, and PEP 740 attestations. No network.

May import only the package's root modules (``errors``, ``redact``, ``untrusted``).
"""
