"""``upload --attest``: whether this run signs its files, and the signing, before the first byte.

With ``--attest`` (asked for): the extra is installed, the existing attestations are checked
(``publish.attest.plan``), the job's ``sigstore`` token is obtained and checked and the trust
configuration loaded, all before the index's token exchange, so that a job that cannot sign stops
before it uses up its one GitLab token. By default (neither flag) signing depends on the credential,
as gh-action-pypi-publish decides: trusted publishing to PyPI or TestPyPI, with ``tpublish[attest]``
installed. The same steps then follow the exchange, and a job with no ``sigstore`` token at all (a
GitLab job that declares none) uploads without attestations, with a warning. Any other failure
stops the release either way: nothing is uploaded unsigned after a signing failure.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tpublish.auth.claims import GITHUB_ISSUER, reusable_workflow_warning
from tpublish.auth.signing_identity import IdentityUnavailable, signing_identity
from tpublish.dists import attestations
from tpublish.errors import TPublishError, UploadError
from tpublish.publish import attest, signing
from tpublish.untrusted import printable

if TYPE_CHECKING:
    from tpublish.auth.login import Login
    from tpublish.auth.settings import Repository
    from tpublish.auth.signing_identity import SigningIdentity
    from tpublish.cli.options import UploadOptions
    from tpublish.dists.attestations import Attested
    from tpublish.dists.distribution import Distribution
    from tpublish.index.multipart import Digests
    from tpublish.output.console import Console
    from tpublish.publish.signing import Signed, Trust

RENEW_BEFORE = 60.0  # seconds of validity a sigstore token must have left when signing starts


class Attesting:
    """The attestation step of one upload: decided, prepared, then run before the release."""

    def __init__(
        self,
        console: Console,
        options: UploadOptions,
        repository: Repository,
        dists: list[Distribution],
        digests: Callable[[Path], Digests],
    ) -> None:
        self.console = console
        self.options = options
        self.repository = repository
        self.dists = dists
        self.mode = options.attest  # True, False, or None: by default
        self.active = False
        self.plan: attest.Plan | None = None
        self.identity: SigningIdentity | None = None
        self.trust: Trust | None = None
        self.signed_as: dict[Path, str | None] = {}
        self.publisher_claims: dict[str, Any] = {}
        self._digests = digests

    def sha256(self, path: Path) -> str:
        """Each file's digest, for the plan and the attestations' checks (read once per run)."""
        return self._digests(path).sha256

    @property
    def may_sign(self) -> bool:
        """Whether this run could sign, as far as is known before the login."""
        if self.mode is not None:
            return self.mode
        return self.repository.is_pypi and signing.extra_installed()

    def before_login(self) -> None:
        """``--attest``: every check that needs no index, before the token exchange."""
        if self.mode is True:
            signing.require_extra()
            self._prepare(required=True)

    def after_login(self, login: Login) -> None:
        """By default: sign when the login is trusted publishing to PyPI; then the credential rule."""
        if login.trusted is not None:
            self.publisher_claims = login.trusted.claims
        if self.mode is None:
            reason = self._not_by_default(login)
            if reason is None:
                self._prepare(required=False)
            else:
                self.console.verbose(f"attestations: not signing ({reason})")
        if self.active and login.source is not None:
            attestations.check_credential(
                self.repository.url, trusted=login.trusted is not None, option="--attest"
            )

    def _not_by_default(self, login: Login) -> str | None:
        """Why this run does not sign by default, or None when it does (gh-action's rule)."""
        if login.trusted is None or not self.repository.is_pypi:
            return "by default only trusted publishing to PyPI or TestPyPI signs; --attest signs"
        if not signing.extra_installed():
            return f"the Sigstore libraries are not installed: {signing.INSTALL_LINE}"
        claims = self.publisher_claims
        if claims.get("iss") == GITHUB_ISSUER and reusable_workflow_warning(claims):
            self.console.warning(
                "not signing attestations: in a reusable workflow the signing certificate names "
                f"the calling workflow ({printable(str(claims.get('workflow_ref')))}), not the "
                "trusted publisher "
                "the index verifies them against (--attest signs anyway)"
            )
            return "a reusable workflow"
        return None

    def _prepare(self, *, required: bool) -> None:
        self.plan = attest.plan(self.dists, self.sha256)
        for dist in self.plan.reused:
            self.console.verbose(
                f"attestations: reusing {attest.target(dist.path).name} (made for these very bytes)"
            )
        if self.plan.to_sign:
            try:
                self.identity = signing_identity(self.options.network.timeout)
            except IdentityUnavailable as exc:
                if required:
                    raise
                self.console.warning(f"not signing attestations: {exc.message}")
                if exc.hint:
                    self.console.warning(f"to sign them: {exc.hint} (or --no-attest to silence)")
                self.plan = None
                return
            self.trust = signing.load_trust(self.options.sigstore_trust_config)
            signing.check_token(self.identity.token)
            self.console.verbose(
                f"attestations: signing as {self.identity.identity} ({self.identity.provider}) "
                f"with {self.trust.source}: Fulcio {self.trust.fulcio_url}, "
                f"Rekor {self.trust.rekor_url}"
            )
        self.active = True

    # -- a dry run says what it would do -----------------------------------------------------------

    def describe(self) -> list[str]:
        if not self.active or self.plan is None:
            return []
        lines = []
        if self.plan.to_sign and self.identity is not None and self.trust is not None:
            lines.append(
                f"  would sign {len(self.plan.to_sign)} file(s) as {self.identity.identity} "
                f"with {self.trust.source} (Fulcio {self.trust.fulcio_url}); a dry run writes "
                "nothing to its transparency log"
            )
        lines += [
            f"  would reuse {attest.target(d.path).name} (made for these very bytes)"
            for d in self.plan.reused
        ]
        return lines

    def document(self) -> dict[str, Any] | None:
        if not self.active or self.plan is None:
            return None
        return {
            "sign": [d.filename for d in self.plan.to_sign],
            "reuse": [d.filename for d in self.plan.reused],
            "identity": self.identity.identity if self.identity else None,
            "provider": self.identity.provider if self.identity else None,
            "trust_config": self.trust.path if self.trust else None,
            "fulcio_url": self.trust.fulcio_url if self.trust else None,
            "rekor_url": self.trust.rekor_url if self.trust else None,
        }

    # -- the real run -------------------------------------------------------------------------------

    def sign(self, deadline: float) -> Attested:
        """Sign what needs signing, write each attestation, and return every file's attestations."""
        assert self.plan is not None
        items = [
            signing.ToSign(d.path, d.filename, self.plan.sha256[d.path]) for d in self.plan.to_sign
        ]
        if items:
            self._sign(items, deadline)
        return attestations.load(self.dists, self.sha256)

    def _sign(self, items: list[signing.ToSign], deadline: float) -> None:
        identity, trust = self._fresh_identity(), self.trust
        assert trust is not None
        self.console.info(
            f"Signing {len(items)} file(s) as {identity.identity} with {trust.source}"
        )
        done: list[Signed] = []

        def on_signed(signed: Signed) -> None:
            path = attest.write(signed)
            done.append(signed)
            self.signed_as[signed.item.path] = signed.signed_as
            index = signed.log_index
            where = f" (transparency log index {index})" if index is not None else ""
            self.console.verbose(f"signed {signed.item.filename}: wrote {path.name}{where}")

        try:
            signing.sign_all(items, identity.token, trust, deadline=deadline, on_signed=on_signed)
        except TPublishError as exc:
            exc.details = (*exc.details, _partial(len(done), len(items)))
            raise

    def _fresh_identity(self) -> SigningIdentity:
        identity = self.identity
        assert identity is not None
        if identity.expires is not None and identity.expires - time.time() < RENEW_BEFORE:
            # GitHub gives a new one; GitLab can't.
            identity = self.identity = signing_identity(self.options.network.timeout)
            signing.check_token(identity.token)
        return identity

    def explain(self, error: TPublishError, dist: Distribution) -> TPublishError:
        """An index that cannot verify our attestation: whom it names next to who uploaded."""
        explained = attestations.explain_refusal(error, dist)
        if "Could not verify" not in explained.message:
            return explained
        signed_as = self.signed_as.get(dist.path)
        if signed_as is None:
            try:
                signed_as = signing.signed_as(attest.target(dist.path).read_text(encoding="utf-8"))
            except OSError:
                signed_as = None
        details = [f"the attestation was signed by: {signed_as or 'unknown'}"]
        claims = self.publisher_claims
        hint = (
            f"the index verifies attestations against the trusted publisher that uploads; "
            f"delete {attest.target(dist.path).name} if it was made by another workflow, so that "
            "this job signs the file anew"
        )
        if claims.get("iss") == GITHUB_ISSUER:
            publisher = printable(str(claims.get("job_workflow_ref")))
            details.append(f"the upload's trusted publisher: {publisher}")
            if reusable_workflow_warning(claims):
                hint = (
                    "this job runs in a reusable workflow: the signing certificate names the "
                    "calling workflow, while the trusted publisher is the reusable one; publish "
                    "from the top-level workflow, or upload with --no-attest"
                )
        return UploadError(
            explained.message,
            hint=hint,
            path=dist.path,
            details=(*explained.details, *details),
        )


def _partial(signed: int, total: int) -> str:
    if not signed:
        return "nothing was signed or uploaded"
    return (
        f"nothing was uploaded; {signed} of {total} file(s) were signed first and their "
        "attestations written beside them (a re-run reuses them)"
    )
