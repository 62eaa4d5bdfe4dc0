"""What a person or a CI log sees: the console (stderr diagnostics, stdout results), progress
bars, the summary table, ``--json`` documents, and GitHub Actions / GitLab CI log integration.

May import ``publish`` (the report it renders), ``dists``, ``index`` and the package's root modules.
"""
