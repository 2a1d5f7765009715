"""Prometheus metrics of the web process (one registry per app, so tests stay isolated)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

__all__ = ["CONTENT_TYPE_LATEST", "Metrics"]


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "gitbrag_http_requests",
            "HTTP requests served, by route template and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.duration = Histogram(
            "gitbrag_http_request_duration_seconds",
            "Time to produce a response (SSE streams count until their headers).",
            ["route"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=self.registry,
        )
        self.report_lookups = Counter(
            "gitbrag_report_lookups",
            "Report requests by what the cache held: fresh, stale or missing.",
            ["cache"],
            registry=self.registry,
        )
        self.jobs_requested = Counter(
            "gitbrag_jobs_requested",
            "Generation requests by outcome: new job, or an already-running one (dedup hit).",
            ["outcome"],
            registry=self.registry,
        )
        self.job_states_seen = Counter(
            "gitbrag_job_states_observed",
            "Job states reported to viewers (page, API, SSE).",
            ["status"],
            registry=self.registry,
        )
        self.refresh_quota_denied = Counter(
            "gitbrag_refresh_quota_denied",
            "Forced refreshes refused by the per-viewer quota.",
            registry=self.registry,
        )
        self.logins = Counter(
            "gitbrag_logins",
            "OAuth logins by outcome.",
            ["outcome"],
            registry=self.registry,
        )
        self.redis_up = Gauge(
            "gitbrag_redis_up",
            "1 if the last readiness check reached Redis.",
            registry=self.registry,
        )
        self.redis_errors = Counter(
            "gitbrag_redis_unavailable_responses",
            "Requests answered 503 because Redis was unreachable.",
            registry=self.registry,
        )

    def render(self) -> bytes:
        return generate_latest(self.registry)
