"""TODO."""

from tpublish.cli.main import main

__all__ = ["main"]
