"""The index's rules, as findings: what ``tpublish check`` applies and ``upload`` checks first
(metadata fields, description rendering, file names, tags, archive framing, the release).

May import ``dists`` (what it checks) and the package's root modules.
"""
