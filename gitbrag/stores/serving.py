"""What a report view needs from Redis, read in one round trip from the web's event loop.

The web process serves cached reports with an async client (``redis.asyncio``): one
``EVALSHA`` answers any number of :class:`ViewQuery` at once (the web coalesces concurrent
views into one call, ``web.serving.coalesce``), each with

* the stored version of the report (``version``, ``generated_at``, ``complete``),
* a rendered artifact of it, or the report's JSON to render one, but only when the caller does
  not hold that version already (steady state: no body crosses the wire),
* the active job generating it (the claim's record, if still queued/running/waiting),
* whether GitHub said the user does not exist (or is an organisation, or private),
* whether the report is still its login holder's (a login can change hands: a report made for
  another account is not served, see ``gitbrag.stores.accounts``) and the curation of the
  report's account,
* the viewer's session or bearer validation, and whether its credential was revoked (or was
  encrypted by a key this process no longer has: a rotation without the previous key).

Writes are rare: artifacts rendered from a version (kept beside it, only while it is still the
stored one) and view counts, batched by the web and flushed in one pipeline.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, Literal, cast

from redis.commands.core import AsyncScript

from gitbrag.per_loop import PerLoop
from gitbrag.settings import Settings
from gitbrag.stores.connection import AsyncStoreClient, async_connect, register_script
from gitbrag.stores.credentials import CREDENTIAL_PREFIX
from gitbrag.stores.curation import ACCOUNT_CURATION_PREFIX, curation_key
from gitbrag.stores.jobs import ACTIVE_STATUSES, CLAIM_PREFIX, JOB_PREFIX, Job, JobStore
from gitbrag.stores.reports import (
    MAX_BUNDLES,
    PUT_ARTIFACTS_SCRIPT,
    REPORT_PREFIX,
    UNKNOWN_PREFIX,
    holder_key,
    login_reports_key,
)
from gitbrag.stores.sessions import (
    BearerValidation,
    Session,
    bearer_key,
    decode_bearer,
    decode_session,
    session_key,
)
from gitbrag.stores.views import LAST_VIEWED, bucket_key, bucket_ttl_seconds

BodyKind = Literal["none", "artifact", "absent"]
JsonWanted = Literal["", "fallback", "always"]

NO_IDENTITY: Final = "no-identity"  # the identity key of an anonymous view: never written

# KEYS: 6 per query (report hash, job claim, unknown-user flag, identity key or '', the
# login's holder, the login's curation from before account ids). ARGV[1] job prefix, ARGV[2]
# credential prefix, ARGV[3] the account curation prefix, then 4 per query: the rendered
# version the caller holds, the artifact wanted ('' none), the bundle it belongs to (''), and
# when to send the report's JSON (and the curation's) too ('', 'fallback': when neither the
# artifact nor the bundle's marker is there, 'always'). A report made for an account that no
# longer holds the login is not served (as if missing; its version comes back as ``hidden``).
# The curation shown is the report's account's (else the login holder's, else, before
# account ids, the login's own). A rendered version is "<report version>.<curation
# version>" ('0': nothing curated), and renderings are stored under the curation version
# they show (``art:<curation>:<name>``). Nothing is sent when the caller holds the rendered
# version already.
_READ = """
local results = {}
for i = 0, #KEYS / 6 - 1 do
  local report, claim, unknown, identity = KEYS[i*6+1], KEYS[i*6+2], KEYS[i*6+3], KEYS[i*6+4]
  local holders, legacy = KEYS[i*6+5], KEYS[i*6+6]
  local have, artifact, bundle, want_json = ARGV[i*4+4], ARGV[i*4+5], ARGV[i*4+6], ARGV[i*4+7]
  local meta = redis.call('HMGET', report, 'version', 'generated_at', 'complete', 'account')
  local holder = redis.call('HGET', holders, 'id')
  local hidden = false
  if meta[1] and meta[4] and holder and meta[4] ~= holder then
    hidden = meta[1]
    meta = {false, false, false, false}
  end
  local owner = meta[4] or holder
  local curated = legacy
  if owner then curated = ARGV[3] .. owner end
  local curation = redis.call('HGET', curated, 'version') or '0'
  local version = false
  if meta[1] then version = meta[1] .. '.' .. curation end
  local body, kind, json, choices = false, 'none', false, false
  if version and version ~= have then
    if artifact ~= '' then
      body = redis.call('HGET', report, 'art:' .. curation .. ':' .. artifact)
      if body then
        kind = 'artifact'
      elseif bundle ~= '' and
             redis.call('HEXISTS', report, 'bundle:' .. curation .. ':' .. bundle) == 1 then
        kind = 'absent'
      end
    end
    if want_json == 'always' or (want_json == 'fallback' and kind == 'none') then
      json = redis.call('HGET', report, 'json')
      if curation ~= '0' then choices = redis.call('HGET', curated, 'json') end
    end
  end
  local job = false
  local owner_job = redis.call('GET', claim)
  if owner_job then job = redis.call('HGETALL', ARGV[1] .. owner_job) end
  local found, revoked = false, 0
  if identity ~= '' then
    found = redis.call('GET', identity)
    if found then
      local ok, decoded = pcall(cjson.decode, found)
      if ok and type(decoded) == 'table' and type(decoded['credential_ref']) == 'string' then
        -- revoked: 1 when GitHub rejected it, else the id of the key that encrypted it
        local state = redis.call('HMGET', ARGV[2] .. decoded['credential_ref'], 'invalid', 'key_id')
        if state[1] then revoked = 1 elseif state[2] then revoked = state[2] end
      end
    end
  end
  results[i + 1] = {version, meta[2] or false, meta[3] or false, kind, body or false,
                    json or false, job, redis.call('GET', unknown) or false, found, revoked,
                    choices or false, hidden, meta[4] or false}
end
return results
"""


@dataclass(frozen=True, slots=True)
class ViewQuery:
    """One view's question. Hashable: identical concurrent views share one answer."""

    report_key: str
    session_id: str | None = None
    bearer_token: str | None = None
    have_version: str = ""  # the rendered version whose ``artifact`` the caller already holds
    artifact: str = ""  # the rendered artifact wanted (``<bundle>:<name>``)
    bundle: str = ""  # its bundle, whose marker is set once all its artifacts are stored
    want_json: JsonWanted = ""  # when to send the report's JSON too


@dataclass(frozen=True, slots=True)
class ReportMeta:
    """A stored report version, without its content. ``version`` is the *rendered* version:
    the report's version and the version of its author's curation
    (``"<report>.<curation>"``), so everything rendered, cached or tagged by it changes when
    either does."""

    version: str
    generated_at: datetime
    complete: bool
    account: int | None = None  # GitHub's id of the report's account (None: made before ids)

    @property
    def report_version(self) -> str:
        """The stored report's own version (what a job claim compares), without curation."""
        return self.version.split(".", 1)[0]

    def age_seconds(self, now: datetime) -> float:
        return max(0.0, (now - self.generated_at).total_seconds())


@dataclass(frozen=True, slots=True)
class ViewState:
    meta: ReportMeta | None
    body_kind: BodyKind  # the artifact is in ``body``, or not sent, or known not to exist
    body: bytes | None
    report_json: bytes | None  # the report as stored, when asked for
    job: Job | None  # the active job generating the report
    # GitHub has no report for the login: "no_user", "organization", "private_profile"
    unknown_reason: str | None
    session: Session | None = None
    bearer: BearerValidation | None = None
    credential_revoked: bool = False
    curation_json: bytes | None = None  # the author's curation, sent with ``report_json``
    # The version of a report stored for an account that no longer holds the login (not
    # served: ``meta`` is None); a job asked for in its place says it saw this version.
    hidden_version: str | None = None


def _revoked(flag: int | bytes, readable_keys: frozenset[str] | None) -> bool:
    if isinstance(flag, bytes):  # the id of the key that encrypted the credential
        return readable_keys is not None and flag.decode() not in readable_keys
    return bool(flag)


def _decode(
    query: ViewQuery, row: list[Any], readable_keys: frozenset[str] | None = None
) -> ViewState:
    (
        version,
        generated_at,
        complete,
        kind,
        body,
        report_json,
        job_fields,
        unknown,
        found,
        revoked,
        curation,
        hidden,
        account,
    ) = row
    meta = (
        ReportMeta(
            version.decode(),
            datetime.fromisoformat(generated_at.decode()),
            complete == b"1",
            int(account) if account else None,
        )
        if version and generated_at
        else None
    )
    job: Job | None = None
    if job_fields:
        record = dict(zip(job_fields[::2], job_fields[1::2], strict=True))
        if record.get(b"status", b"").decode() in ACTIVE_STATUSES:
            job = JobStore._decode(record)
    session = decode_session(found) if found and query.session_id else None
    bearer = decode_bearer(found) if found and query.bearer_token else None
    return ViewState(
        meta=meta,
        body_kind=cast(BodyKind, kind.decode()),
        body=body or None,
        report_json=report_json or None,
        job=job,
        unknown_reason=unknown.decode() if unknown else None,
        session=session,
        bearer=bearer,
        credential_revoked=_revoked(revoked, readable_keys),
        curation_json=curation or None,
        hidden_version=hidden.decode() if hidden else None,
    )


@dataclass(frozen=True, slots=True)
class _Connection:
    """One event loop's client and the scripts it runs: redis-py's ``Script``, by digest (one
    ``EVALSHA`` per call), loaded again when Redis answers ``NOSCRIPT`` (a restart, a flush)."""

    client: AsyncStoreClient
    read: AsyncScript
    put_artifacts: AsyncScript

    @classmethod
    def to(cls, settings: Settings) -> _Connection:
        client = async_connect(settings)
        return cls(
            client, client.register_script(_READ), register_script(client, PUT_ARTIFACTS_SCRIPT)
        )


class ServingStore:
    """The async reads and writes of report views (``redis.asyncio``, bytes; one client per
    event loop, made on first use)."""

    def __init__(
        self,
        settings: Settings,
        *,
        retention_seconds: int,
        view_window_days: int,
        readable_keys: frozenset[str] | None = None,
    ) -> None:
        """``readable_keys``: the ids of the secret keys this process decrypts credentials
        with (``CredentialStore.readable_keys``); a session whose credential another key
        encrypted counts as revoked. The Redis (and the key namespace) are the settings'."""
        self._connections = PerLoop(lambda: _Connection.to(settings))
        self._ns = f"{settings.redis_namespace}:"
        self._readable_keys = readable_keys
        self._retention = retention_seconds
        self._view_window_days = view_window_days

    @property
    def _redis(self) -> AsyncStoreClient:
        return self._connections.get().client

    async def read(self, queries: Sequence[ViewQuery]) -> list[ViewState]:
        """Answer every query with one ``EVALSHA`` (one round trip)."""
        keys: list[str] = []
        ns = self._ns
        args: list[str] = [ns + JOB_PREFIX, ns + CREDENTIAL_PREFIX, ns + ACCOUNT_CURATION_PREFIX]
        for query in queries:
            # A key in the namespace that is never written: Redis ACLs and Cluster slots
            # check every key a script is given, so "no identity" must not be "".
            identity = ns + NO_IDENTITY
            if query.bearer_token:
                identity = bearer_key(ns, query.bearer_token)
            elif query.session_id:
                identity = session_key(ns, query.session_id)
            username = query.report_key.split(":", 1)[0]
            keys += [
                ns + REPORT_PREFIX + query.report_key,
                ns + CLAIM_PREFIX + query.report_key,
                ns + UNKNOWN_PREFIX + username.lower(),
                identity,
                holder_key(ns, username),
                curation_key(ns, username),
            ]
            args += [query.have_version, query.artifact, query.bundle, query.want_json]
        rows = await self._connections.get().read(keys, args)
        return [
            _decode(query, row, self._readable_keys)
            for query, row in zip(queries, rows, strict=True)
        ]

    async def put_artifacts(
        self, report_key: str, version: str, fields: Mapping[str, bytes], *, bundle: str = ""
    ) -> bool:
        """Keep rendered ``fields`` (named as ``artifact_field`` names them) beside the
        rendered ``version``. False if another report version or curation replaced it, or if
        ``fields`` belong to a new ``bundle`` (its marker field) and the version keeps
        ``MAX_BUNDLES`` already. Renderings of other curation states are dropped."""
        args: list[str | bytes] = [version, bundle, str(MAX_BUNDLES)]
        for name, value in fields.items():
            args += [name, value]
        username = report_key.split(":", 1)[0]
        ns = self._ns
        keys = [
            ns + REPORT_PREFIX + report_key,
            holder_key(ns, username),
            curation_key(ns, username),
        ]
        return bool(await self._connections.get().put_artifacts(keys, args))

    async def record_views(self, counts: Mapping[str, int], now: datetime | None = None) -> None:
        """Add ``counts`` (report key -> views) to today's bucket, note when each report was
        last viewed, and push back the expiry of the viewed reports (with their login's
        report index and holder, which must live as long as the reports they vouch for);
        one pipeline."""
        if not counts:
            return
        now = now or datetime.now(UTC)
        ns = self._ns
        bucket = bucket_key(ns, now.astimezone(UTC).date())
        pipe = self._redis.pipeline(transaction=False)
        for report_key, views in counts.items():
            pipe.zincrby(bucket, views, report_key)
            pipe.expire(ns + REPORT_PREFIX + report_key, self._retention)
        for login in {report_key.split(":", 1)[0] for report_key in counts}:
            pipe.expire(login_reports_key(ns, login), self._retention)
            pipe.expire(holder_key(ns, login), self._retention)
        pipe.expire(bucket, bucket_ttl_seconds(self._view_window_days))
        pipe.zadd(ns + LAST_VIEWED, dict.fromkeys(counts, now.timestamp()))
        await pipe.execute()

    async def aclose(self) -> None:
        """Close the running loop's client."""
        connection = self._connections.current()
        if connection is not None:
            await connection.client.aclose()
