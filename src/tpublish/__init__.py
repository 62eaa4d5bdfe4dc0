"""tpublish: upload Python distributions, built for Trusted Publishing."""

__version__ = "0.1.0.dev0"
