"""From a request to the operation text the engine runs: APQ, trusted documents, safelist.

Order, as in Apollo Router: an id (``extensions.persistedQuery.sha256Hash``) is looked up in
the trusted documents first, then in the APQ registry; text with a hash registers it (APQ).
Free-form text passes when no safelist is enforced (a safelist turns APQ off, as
Apollo Router requires);  ``log_unknown`` logs each distinct
operation that is not in the manifest once.

Errors (all GraphQL errors with ``extensions.code``):

* ``PERSISTED_QUERY_NOT_FOUND`` (200): APQ hash unknown, the client should send the text;
* ``PERSISTED_QUERY_HASH_MISMATCH`` (400): text and hash disagree, or no usable hash;
* ``PERSISTED_QUERY_NOT_SUPPORTED`` (200): an id while APQ and trusted documents are off;
* ``PERSISTED_QUERY_NOT_IN_LIST`` (400): an unknown id while APQ is off (trusted only);
* ``QUERY_NOT_IN_SAFELIST`` (400) / ``PERSISTED_QUERY_ID_REQUIRED`` (400): the safelist.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

import structlog

from router.config.persisted import ApqConfig, PersistedQueriesConfig
from router.operation.errors import RequestError
from router.planning.cache import LRU

from .apq import ApqStore
from .manifest import TrustedDocuments, normalize

log = structlog.get_logger("router.persisted")


class OperationDocuments:
    """Resolves request documents for one settings version (rebuilt on reload; the stores it
    uses outlive it)."""

    def __init__(
        self,
        apq: ApqConfig,
        store: ApqStore | None,
        persisted: PersistedQueriesConfig | None = None,
        trusted: TrustedDocuments | None = None,
    ) -> None:
        self.persisted = persisted if persisted is not None and persisted.enabled else None
        # A safelist admits manifest operations only: APQ could only register those again.
        safelist = self.persisted is not None and self.persisted.safelist.enabled
        self.apq_enabled = apq.enabled and store is not None and not safelist
        self.store = store
        self.trusted = trusted if self.persisted is not None else None
        self._checked: LRU[str, tuple[str, bool]] = LRU(4096)
        """Free-form text → (manifest digest, whether it is in that manifest)."""

    async def resolve(self, query: Any, extensions: Mapping[str, Any] | None) -> str:
        persisted = extensions.get("persistedQuery") if extensions else None
        if persisted is not None and (self.apq_enabled or self.trusted is not None):
            if not isinstance(persisted, Mapping) or not isinstance(
                persisted.get("sha256Hash"), str
            ):
                raise RequestError.single(
                    "persistedQuery extension lacks a sha256Hash", "PERSISTED_QUERY_HASH_MISMATCH"
                )
            digest: str = persisted["sha256Hash"]
            if query:
                if not isinstance(query, str):
                    raise RequestError.single("Must provide query string.", "MISSING_QUERY_STRING")
                return await self._with_hash(query, digest)
            if self.trusted is not None:
                found = await self.trusted.lookup(digest)
                if found is not None:
                    return found
            if self.apq_enabled:
                assert self.store is not None
                known = await self.store.get(digest)
                if known is not None:
                    return known
                raise RequestError.single(
                    "PersistedQueryNotFound", "PERSISTED_QUERY_NOT_FOUND", status=200
                )
            raise RequestError.single(
                f"Persisted query '{digest}' not found in the persisted query list",
                "PERSISTED_QUERY_NOT_IN_LIST",
            )
        if persisted is not None and not query:
            raise RequestError.single(
                "PersistedQueryNotSupported", "PERSISTED_QUERY_NOT_SUPPORTED", status=200
            )
        if not query or not isinstance(query, str):
            raise RequestError.single("Must provide query string.", "MISSING_QUERY_STRING")
        self._check_free_form(query)
        return query

    async def _with_hash(self, query: str, digest: str) -> str:
        if hashlib.sha256(query.encode()).hexdigest() != digest:
            if self.trusted is not None and await self.trusted.lookup(digest) == query:
                return query  # a trusted id need not be the text's SHA-256
            raise RequestError.single(
                "provided sha does not match query", "PERSISTED_QUERY_HASH_MISMATCH"
            )
        self._check_free_form(query)
        if self.apq_enabled:
            assert self.store is not None
            await self.store.put(digest, query)
        return query

    def _check_free_form(self, query: str) -> None:
        config = self.persisted
        if config is None or not (config.safelist.enabled or config.log_unknown):
            return
        if config.safelist.require_id:
            raise RequestError.single(
                "This router accepts persisted operation ids only", "PERSISTED_QUERY_ID_REQUIRED"
            )
        trusted = self.trusted
        manifest = trusted.manifest if trusted is not None else None
        version = manifest.digest if manifest is not None else ""
        checked = self._checked.get(query)
        if checked is not None and checked[0] == version:
            known = checked[1]
        else:
            canonical = normalize(query)
            known = (
                canonical is not None and trusted is not None and trusted.contains_text(canonical)
            )
            self._checked.put(query, (version, known))
            if not known and config.log_unknown:
                log.warning(
                    "persisted_queries.unknown_operation",
                    query=query if len(query) <= 2000 else query[:2000] + "...",
                    blocked=config.safelist.enabled,
                )
        if not known and config.safelist.enabled:
            raise RequestError.single(
                "The operation is not in the persisted query list", "QUERY_NOT_IN_SAFELIST"
            )
