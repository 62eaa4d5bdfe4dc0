"""One release to one index: the order of the files, concurrency, retries, whether the index
already holds a file, and the report of each file's outcome. Never prints: it emits events.

May import ``auth`` (the credential source), ``dists``, ``index`` and the package's root modules.
"""
