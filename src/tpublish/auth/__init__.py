"""Where the credential comes from: the repository's settings (flags, environment, ``.pypirc``),
credentials (flags, environment, ``.pypirc``, keyring, prompt), trusted publishing (the CI's OIDC
identity, the index's exchange, renewal) and the token's claims.

May import ``index`` (its HTTP client) and the package's root modules.
"""
