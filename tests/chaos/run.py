"""The chaos run: a real stack under steady mixed load, the issue's faults one after the
other, every invariant judged from what the load saw, what Redis holds and what the logs say.

Faults run for fixed durations (they are the experiment, not waits for an event); everything
else waits for its event with a bound. Timings are recorded, never asserted: the pass/fail
criteria are the invariants (no 5xx outside a Redis outage, nothing lost, every job final
with a user-safe message, exactly-once writes, nothing left behind, no secrets).
"""

from __future__ import annotations

import json
import re
import statistics
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import redis

from gitbrag.fakehub import generate, token_for
from gitbrag.stores.collections import COLLECTION_PREFIX
from gitbrag.stores.jobs import JOB_PREFIX
from tests.chaos import checks
from tests.chaos.load import LoadDriver, Sample, TrackedJob, Viewer, log_in
from tests.chaos.results import CaseResult
from tests.chaos.stack import ChaosStack, Outage
from tests.harness import FAKEHUB_CLIENT_SECRET, wait_for

# Viewers with their own tokens (API clients), logged-in browsers, and the viewer whose token
# case 4 exhausts (kept out of the others' load so their jobs show whether they were delayed).
API_VIEWERS = ("octocat", "star-gazer", "artur-", "gil--dev")
SESSION_VIEWERS = ("Mixed-Case-Dev", "private-eye")
EXHAUSTED_VIEWER = "no-prs"
REPORTED_USERS = [
    "octocat", "mixed-case-dev", "prolific-bot", "big-diff", "private-eye", "star-gazer",
    "no-prs", "artur-", "gil--dev",
]  # fmt: skip
BASELINE_USERS = ("octocat", "mixed-case-dev", "star-gazer", "big-diff", "artur-", "prolific-bot")
BASELINE_PERIODS = ("1_year", "2_years")
ALL_FAULTS = [
    "502", "504", "timeout", "secondary", "secondary_no_retry_after", "secondary_429",
    "secondary_graphql", "abuse",
]  # fmt: skip
# After Redis answers again, a request already in flight may still get its 503.
OUTAGE_GRACE_SECONDS = 2.0
JOB_BOUND_SECONDS = 180.0
# Issue 23: a job whose worker is SIGKILLed is done within 30 s (heartbeat timeout, then the
# limiter slot's TTL, then the run itself).
KILLED_JOB_BOUND = 30.0  # the bound: final within 3 minutes of Redis coming back
UNSAFE_ERROR = re.compile(r"Traceback|Exception|Error\b|redis|\.py\b|File \"")
KEPT_PREVIOUS = "the previous complete report was kept"

# The stack's settings for the run (the rest are the harness's and the defaults).
STACK_SETTINGS: dict[str, object] = {
    "refresh_quota_per_hour": 100_000,  # forced refreshes are part of the load
    # A secondary limit without Retry-After waits this long (doubling): the default minute
    # would only make the fault case longer, not different.
    "github_secondary_wait_seconds": 2.0,
    # Waits for a rate-limit reset longer than this go back to the queue
    # (``waiting_rate_limit``) instead of holding a worker thread: case 4 takes that path.
    "github_max_wait_seconds": 10.0,
    # The abuse limits (jobs per viewer per hour and at once) are not what this run measures:
    # its few viewers ask for far more reports than a person would.
    "viewer_jobs_per_hour": 0,
    "viewer_active_jobs": 0,
    # The scheduler's server token (pre-warming): one more secret for the scan to look for.
    "github_token": token_for("giant-diff"),
}


@dataclass
class Plan:
    """What to run: the full suite (``make chaos``) or the smoke inside ``make test``."""

    smoke: bool
    webs: int = 2
    warm_seconds: float = 15.0
    redis_down_seconds: float = 8.0
    redis_kinds: tuple[str, ...] = ("SIGTERM", "SIGKILL")
    between_outages_seconds: float = 20.0
    kill_every_seconds: float = 20.0
    kills: int = 6
    fault_seconds: float = 120.0
    exhausted_reset_seconds: float = 60.0
    cases: tuple[str, ...] = ("redis", "workers", "github", "token", "secrets")
    # The failover cases (tests/chaos/failover.py): how long a frozen primary stays frozen,
    # how long a killed one stays down.
    freeze_seconds: float = 20.0
    killed_primary_down_seconds: float = 15.0
    jobs_at_the_fault: int = 6  # new reports asked for just before each failover
    notes: list[str] = field(default_factory=list)

    @classmethod
    def full(cls) -> Plan:
        return cls(smoke=False)

    @classmethod
    def failovers(cls) -> Plan:
        """The failover cases, on a Sentinel-managed primary and replica (``make chaos``)."""
        return cls(
            smoke=False,
            warm_seconds=10.0,
            cases=("failover_planned", "failover_kill", "failover_freeze", "secrets_ha"),
        )

    @classmethod
    def smoke_test(cls) -> Plan:
        return cls(
            smoke=True,
            webs=1,
            warm_seconds=5.0,
            redis_down_seconds=4.0,
            redis_kinds=("SIGKILL",),
            kills=1,
            cases=("redis", "workers", "secrets"),
        )


def _wall(text: str) -> float:
    return datetime.fromisoformat(text).timestamp() if text else 0.0


class Chaos:
    def __init__(self, tmp: Path, plan: Plan) -> None:
        self.tmp = tmp
        self.plan = plan
        self.stack = ChaosStack(tmp, webs=plan.webs, **STACK_SETTINGS)
        self.results: list[CaseResult] = []
        self.driver: LoadDriver | None = None
        self.client: redis.Redis | None = None
        self.tokens: dict[str, str] = {}
        self.baseline: dict[str, str] = {}  # report key -> its JSON without generated_at
        self.cached: list[tuple[str, str]] = []
        self.steady_job_seconds: list[float] = []

    # ------------------------------------------------------------------ the run

    def run(self) -> list[CaseResult]:
        self.stack.start()
        try:
            self.client = self.stack.admin_client()
            self._warm_up()
            for case in self.plan.cases:
                getattr(self, f"case_{case}")()
        finally:
            try:
                if self.driver is not None:
                    self.driver.stop()
                if self.client is not None:
                    self.client.close()
            finally:
                self.stack.stop()
        return self.results

    @property
    def redis(self) -> redis.Redis:
        assert self.client is not None
        return self.client

    @property
    def load(self) -> LoadDriver:
        assert self.driver is not None
        return self.driver

    def _warm_up(self) -> None:
        """Log the browsers in, generate the baseline reports fault-free, start the load."""
        self.tokens = self.stack.hub_tokens()
        web = self.stack.web_urls[0]
        sessions = [log_in(web, self.stack.hub_url, login) for login in SESSION_VIEWERS]
        api = [Viewer(login, self.tokens[login]) for login in API_VIEWERS]
        self.driver = LoadDriver(
            self.stack.web_urls,
            users=REPORTED_USERS,
            api_viewers=api,
            session_viewers=sessions,
            cached=[],
        ).start()
        jobs = []
        users = BASELINE_USERS[:2] if self.plan.smoke else BASELINE_USERS
        for user in users:
            for period in BASELINE_PERIODS:
                query = f"period={period}"
                response = self._api("GET", f"/api/reports/github/{user}?{query}", "octocat")
                assert response["status"] == 202, response
                jobs.append((user, query, response["body"]["job"]))
        ids = [job["id"] for _, _, job in jobs]
        finished = self._wait_final(ids, 300, "baseline reports")
        for user, query, job in jobs:
            record = finished[job["id"]]
            assert record.status == "done", record
            self.cached.append((user, query))
            self.baseline[job["report_key"]] = self._comparable(job["report_key"])
            self.steady_job_seconds.append(_wall(record.finished_at) - _wall(record.created_at))
        self.load.cached = list(self.cached)
        # The exhausted viewer's token is validated once now, like any returning API client.
        self._api("GET", f"/api/reports/github/octocat?{self.cached[0][1]}", EXHAUSTED_VIEWER)
        time.sleep(self.plan.warm_seconds)  # steady load before the first fault

    # ------------------------------------------------------------------ helpers

    def _api(self, method: str, path: str, viewer: str) -> dict[str, Any]:
        request = urllib.request.Request(
            self.stack.web_urls[0] + path,
            method=method,
            headers={"Authorization": f"Bearer {self.tokens[viewer]}"},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return {"status": response.status, "body": json.loads(response.read())}
        except urllib.error.HTTPError as error:
            return {"status": error.code, "body": json.loads(error.read() or b"{}")}

    def _comparable(self, key: str) -> str:
        """A stored report without its ``generated_at``: what must not change under faults."""
        raw = checks.report_json(self.redis, key)
        assert raw is not None, f"no report for {key}"
        report = json.loads(raw)
        report.pop("generated_at", None)
        return json.dumps(report, sort_keys=True)

    def _wait_final(self, ids: list[str], timeout: float, what: str) -> dict[str, checks.JobRecord]:
        wanted = set(ids)
        found: dict[str, checks.JobRecord] = {}

        def all_final() -> bool:
            jobs = checks.read_jobs(self.redis)
            found.update({i: jobs[i] for i in wanted if i in jobs})
            return all(i in jobs and not jobs[i].active for i in wanted)

        wait_for(all_final, timeout, interval=0.5, what=what)
        return found

    def _heavy_job_running(self) -> None:
        """Start a long job (a new range of the user with thousands of pull requests) and
        wait until a job runs, so the fault that follows meets work in progress."""
        query = self.load.new_query()
        answer = self._api("GET", f"/api/reports/github/prolific-bot?{query}", "octocat")
        if answer["status"] == 202:
            self.load.track(answer["body"]["job"], "octocat", f"/user/github/prolific-bot?{query}")

        def running() -> bool:
            return any(job.status == "running" for job in checks.read_jobs(self.redis).values())

        wait_for(running, 90, interval=0.1, what="a job running")

    def _active_ids(self) -> list[str]:
        return [i for i, job in checks.read_jobs(self.redis).items() if job.active]

    def _wait_until_final_or_bound(
        self, ids: list[str], bound: float
    ) -> tuple[float | None, list[str]]:
        """Wait for ``ids`` to be final (at most ``bound`` s); seconds it took (None when some
        were not final) and those still active."""
        started = time.monotonic()
        deadline = started + bound
        while time.monotonic() < deadline:
            jobs = checks.read_jobs(self.redis)
            pending = [i for i in ids if i in jobs and jobs[i].active]
            if not pending:
                return time.monotonic() - started, []
            time.sleep(0.5)
        jobs = checks.read_jobs(self.redis)
        return None, [i for i in ids if i in jobs and jobs[i].active]

    def _begin(self, name: str, title: str) -> tuple[CaseResult, float, float]:
        self.load.case = name
        return CaseResult(name, title), time.monotonic(), time.time()

    def _finish(self, result: CaseResult, started: float, wall_started: float) -> None:
        """Traffic and jobs of the case window; the left-behind check."""
        ended = time.monotonic()
        result.duration_seconds = round(ended - started, 1)
        samples = self.load.samples_between(started, ended)
        self._judge_traffic(result, samples)
        result.load = (
            f"{len(samples) / max(1.0, ended - started):.0f} req/s, "
            f"{len(API_VIEWERS) + len(SESSION_VIEWERS)} viewers, {self.plan.webs} web + "
            f"{len(self.stack.worker_names)} worker processes"
        )
        result.measurements["window_wall"] = [wall_started, time.time()]
        leftovers = checks.left_behind(
            self.redis,
            slot_ttl_ms=self.stack.settings.limiter_slot_ttl_seconds * 1000,
            holder_ttl_ms=int((self.stack.settings.http_timeout_seconds + 10) * 1000),
        )
        result.check(
            "no job claim, limiter slot or token request slot left behind past its TTL",
            not leftovers,
            "; ".join(leftovers[:5]),
        )
        self.results.append(result)

    def _judge_traffic(self, result: CaseResult, samples: list[Sample]) -> None:
        outages = [o for o in self.stack.outages if o.up_at]
        statuses: Counter[str] = Counter()
        bad: list[str] = []
        for sample in samples:
            statuses[str(sample.status or "no answer")] += 1
            if sample.status and sample.status < 500 and not sample.problem:
                continue
            in_outage = any(
                sample.started < o.up_at + OUTAGE_GRACE_SECONDS and sample.ended > o.down_at
                for o in outages
            )
            if sample.status == 503 and in_outage and not sample.problem:
                result.unavailable_during_outage += 1
            else:
                bad.append(f"{sample.route} -> {sample.status or 'no answer'} {sample.problem}")
        result.requests = sum(1 for s in samples if s.status)
        result.statuses = dict(statuses)
        result.server_errors_outside_outage = len(bad)
        result.check(
            "never a 5xx (nor no answer, nor a traceback) outside a Redis outage; only 503 "
            "within one",
            not bad,
            "; ".join(sorted(Counter(bad).keys())[:5]),
        )

    # ------------------------------------------------------------------ case 1: Redis

    def case_redis(self) -> None:
        kinds = " and ".join(self.plan.redis_kinds)
        result, started, wall = self._begin("redis", f"1. Redis restarted ({kinds})")
        restarts_before = {name: self.stack.restarts(name) for name in self.stack.worker_names}
        scheduler_before = self.stack.restarts("scheduler")
        recoveries: list[float] = []
        for number, how in enumerate(self.plan.redis_kinds):
            if number:
                time.sleep(self.plan.between_outages_seconds)
            self._heavy_job_running()
            before = checks.read_reports(self.redis)
            active = self._active_ids()
            self.redis.close()
            outage = self.stack.stop_redis(how)
            time.sleep(self.plan.redis_down_seconds)  # the outage itself
            self.stack.start_redis(outage)
            web_back = self._webs_ready(outage)
            after = checks.read_reports(self.redis)
            for key, report in before.items():
                now = after.get(key)
                if now is None or now.writes < report.writes:
                    result.data_lost.append(f"report {key} after the {how} restart")
            took, stuck = self._wait_until_final_or_bound(active, JOB_BOUND_SECONDS)
            result.check(
                f"every job queued or running at the {how} is final within "
                f"{JOB_BOUND_SECONDS:.0f} s of Redis coming back",
                not stuck,
                f"{len(active)} jobs; still active: {stuck[:5]}",
            )
            jobs_back = took if took is not None else JOB_BOUND_SECONDS
            recoveries.append(max(web_back, jobs_back))
            result.measurements[f"{how}: Redis down"] = f"{outage.up_at - outage.down_at:.1f} s"
            result.measurements[f"{how}: web ready again after"] = f"{web_back:.2f} s"
            result.measurements[f"{how}: jobs active at the outage"] = len(active)
            result.measurements[f"{how}: all of them final after"] = (
                f"{took:.1f} s" if took is not None else "not within the bound"
            )
            result.measurements[f"{how}: reports before / after"] = f"{len(before)} / {len(after)}"
        result.recovery_seconds = max(recoveries)
        result.recovery = (
            "from Redis answering again until both web processes are ready and every job that "
            "was queued or running at the outage is final (the longer of the two)"
        )
        result.check("no cached report lost (append-only file)", not result.data_lost)
        restarted = {
            name: self.stack.restarts(name) - restarts_before[name]
            for name in self.stack.worker_names
        }
        result.measurements["scheduler restarts (periodiq exits when it cannot reach Redis)"] = (
            self.stack.restarts("scheduler") - scheduler_before
        )
        result.check(
            "workers reconnect by themselves (no restart needed)",
            not any(restarted.values()),
            f"restarts {restarted}",
        )
        self._finish(result, started, wall)

    def _webs_ready(self, outage: Outage) -> float:
        """Seconds from Redis answering until every web process's /readyz says ready."""
        for url in self.stack.web_urls:
            wait_for(lambda url=url: _ready(url), 120, interval=0.05, what=f"{url} ready")
        return time.monotonic() - outage.up_at

    # ------------------------------------------------------------------ case 2: workers

    def case_workers(self) -> None:
        every = self.plan.kill_every_seconds
        result, started, wall = self._begin(
            "workers", f"2. Workers SIGKILLed every {every:.0f} s ({self.plan.kills} kills)"
        )
        kills = []
        holdings: list[dict[str, set[str]]] = []
        for number in range(self.plan.kills):
            time.sleep(max(0.0, every - 3))
            self._heavy_job_running()
            running = [
                i for i, job in checks.read_jobs(self.redis).items() if job.status == "running"
            ]
            held = checks.jobs_held_by_broker(self.redis)
            name = self.stack.worker_names[number % len(self.stack.worker_names)]
            kill = self.stack.kill_worker(name)
            kills.append((kill, time.time(), running))
            holdings.append(held)
        _, stuck = self._wait_until_final_or_bound(
            [i for _, _, running in kills for i in running], JOB_BOUND_SECONDS
        )
        result.check(
            "every job running at a kill is final within the bound",
            not stuck,
            f"still active: {stuck[:5]}",
        )
        wait_for(lambda: all(k.ready_at for k, _, _ in kills), 120, what="workers back")
        jobs = checks.read_jobs(self.redis)
        alive = checks.live_brokers(self.redis)
        per_kill = []
        killed_done_after: list[float] = []
        live_redelivered: list[str] = []
        for (kill, at, running), held in zip(kills, holdings, strict=True):
            finishes = [_wall(jobs[i].finished_at) for i in running if i in jobs]
            finished_after = max((f - at for f in finishes if f), default=0.0)
            back = kill.ready_at - kill.at if kill.ready_at else None
            # Whose jobs were they: the killed process's broker id is the one Dramatiq
            # dropped (its messages were redelivered); the others' are alive.
            killed = {i for broker, ids in held.items() if broker not in alive for i in ids}
            spared = {i for broker, ids in held.items() if broker in alive for i in ids}
            killed_after = [
                _wall(jobs[i].finished_at) - at for i in killed if i in jobs and jobs[i].finished_at
            ]
            killed_done_after += killed_after
            live_redelivered += [i for i in spared if i in jobs and jobs[i].deliveries > 1]
            per_kill.append(
                {
                    "worker": kill.name,
                    "running_jobs": len(running),
                    "jobs_on_the_killed_worker": len(killed),
                    "worker_ready_after_s": round(back, 1) if back is not None else None,
                    "killed_jobs_final_after_s": round(max(killed_after, default=0.0), 1),
                    "jobs_final_after_s": round(finished_after, 1),
                    "recovery_s": round(max(finished_after, back or 0.0), 1),
                }
            )
        result.measurements["a job on the killed worker done after (longest)"] = (
            f"{max(killed_done_after, default=0.0):.1f} s over {len(killed_done_after)} jobs"
            f" (median {statistics.median(killed_done_after or [0.0]):.1f} s)"
        )
        result.check(
            f"a job running on a SIGKILLed worker is final within {KILLED_JOB_BOUND:.0f} s",
            all(after <= KILLED_JOB_BOUND for after in killed_done_after),
            f"{sorted(round(a, 1) for a in killed_done_after)}",
        )
        result.check(
            "no job of a live worker is redelivered (only the killed worker's)",
            not live_redelivered,
            f"{live_redelivered[:5]}",
        )
        result.measurements["per kill"] = per_kill
        result.recovery_seconds = max((k["recovery_s"] for k in per_kill), default=None)
        result.recovery = (
            "per kill, from the SIGKILL until the restarted worker is ready and every job "
            "running at the kill is final (the longer); the longest kill"
        )
        self._finish(result, started, wall)

    # ------------------------------------------------------------------ case 3: GitHub

    def case_github(self) -> None:
        result, started, wall = self._begin(
            "github", f"3. GitHub at 30% faults for {self.plan.fault_seconds:.0f} s"
        )
        self.stack.hub_faults(rate=0.3, kinds=ALL_FAULTS)
        self.stack.hub_behaviours(resource_limit_nodes=150)
        requests_before = self.stack.hub_requests()
        time.sleep(self.plan.fault_seconds)  # the faults themselves
        faults_ended = time.monotonic()
        self.stack.hub_faults(rate=0.0)
        self.stack.hub_behaviours(resource_limit_nodes=0)
        result.measurements["GitHub requests during the faults"] = (
            self.stack.hub_requests() - requests_before
        )
        ids = [
            i for i, job in checks.read_jobs(self.redis).items()
            if _wall(job.created_at) >= wall and job.active
        ]  # fmt: skip
        _, stuck = self._wait_until_final_or_bound(ids, JOB_BOUND_SECONDS)
        result.check("every job of the fault window is final", not stuck, f"{stuck[:5]}")
        result.recovery_seconds = time.monotonic() - faults_ended
        result.recovery = "from the faults stopping until every job started under them is final"
        self._compare_with_fault_free(result, wall)
        self._incomplete_never_replaces_complete(result)
        self._finish(result, started, wall)

    def _compare_with_fault_free(self, result: CaseResult, wall: float) -> None:
        """Reports written under faults: the same as fault-free ones, or honestly partial."""
        changed = [key for key, body in self.baseline.items() if self._comparable(key) != body]
        result.check(
            "every baseline report refreshed under faults is identical to the fault-free one",
            not changed,
            f"{changed[:3]}",
        )
        jobs = checks.read_jobs(self.redis)
        done_keys = {
            job.report_key
            for job in jobs.values()
            if job.status == "done" and _wall(job.created_at) >= wall
            and job.report_key not in self.baseline
        }  # fmt: skip
        reports = checks.read_reports(self.redis)
        written = [key for key in done_keys if key in reports]
        incomplete = sorted(key for key in written if not reports[key].complete)
        complete = sorted(key for key in written if reports[key].complete)
        result.measurements["new reports written under faults: complete / incomplete"] = (
            f"{len(complete)} / {len(incomplete)}"
        )
        # A sample of them regenerated fault-free, then compared.
        sample = complete[:6]
        under_faults = {key: self._comparable(key) for key in sample}
        refreshed = []
        for key in sample:
            user, query = _path_of(key)
            answer = self._api("POST", f"/api/reports/github/{user}/refresh?{query}", "octocat")
            refreshed.append(answer["body"]["job"]["id"])
        self._wait_final(refreshed, 300, "fault-free regenerations")
        differ = [key for key in sample if self._comparable(key) != under_faults[key]]
        result.check(
            "complete reports generated under faults equal their fault-free regeneration",
            not differ,
            f"{len(sample)} compared; different: {differ[:3]}",
        )

    def _incomplete_never_replaces_complete(self, result: CaseResult) -> None:
        """The simulated GitHub fails the search phase after a complete report exists: the
        real worker's job, collecting cold, ends done, and the complete report stays."""
        everyone = {*API_VIEWERS, *SESSION_VIEWERS}
        self.load.paused |= everyone
        try:
            key = next(iter(self.baseline))
            user, query = _path_of(key)
            before = checks.read_reports(self.redis)[key]
            # Without its last collection the regeneration collects cold (a refresh from it
            # asks GitHub only what changed, which a short search page may not touch): the
            # failing search phase is what this checks.
            self.redis.delete(checks.NS + COLLECTION_PREFIX + key)
            self.stack.hub_behaviours(short_search_pages="always")
            answer = self._api("POST", f"/api/reports/github/{user}/refresh?{query}", "octocat")
            job_id = answer["body"]["job"]["id"]
            record = self._wait_final([job_id], 300, "the partial regeneration")[job_id]
            after = checks.read_reports(self.redis)[key]
        finally:
            self.stack.hub_behaviours(short_search_pages="")
            self.load.paused -= everyone
        result.check(
            "an incomplete report never replaces a complete one (search phase failing, real "
            "worker)",
            record.status == "done" and KEPT_PREVIOUS in record.error
            and after.version == before.version and after.complete,
            f"job {record.status}: {record.error!r}; version {before.version} -> {after.version}",
        )  # fmt: skip

    # ------------------------------------------------------------------ case 4: token

    def case_token(self) -> None:
        reset = self.plan.exhausted_reset_seconds
        result, started, wall = self._begin(
            "token", f"4. One viewer's token exhausted ({reset:.0f} s to its reset)"
        )
        token = self.tokens[EXHAUSTED_VIEWER]
        self.stack.hub_budget(token, 0, reset, resource="graphql")
        reset_at = time.time() + reset
        theirs: list[str] = []
        for number in range(3):
            user = REPORTED_USERS[number]
            query = f"since=2015-0{number + 1}-01&until=2020-12-31"
            answer = self._api("GET", f"/api/reports/github/{user}?{query}", EXHAUSTED_VIEWER)
            assert answer["status"] == 202, answer
            theirs.append(answer["body"]["job"]["id"])
            tracked = self.load.track(
                answer["body"]["job"], EXHAUSTED_VIEWER, f"/user/github/{user}?{query}"
            )
            assert tracked is not None
        records = self._wait_final(theirs, reset + JOB_BOUND_SECONDS, "the exhausted viewer's jobs")
        waited = [self.load.jobs[i] for i in theirs]
        result.check(
            "their jobs wait for the reset (waiting_rate_limit), then complete after it",
            all(
                records[i].status == "done" and _wall(records[i].finished_at) >= reset_at - 1
                and "waiting_rate_limit" in job.seen
                for i, job in zip(theirs, waited, strict=True)
            ),
            "; ".join(
                f"{records[i].status} {_wall(records[i].finished_at) - reset_at:+.1f} s from "
                f"the reset, seen {sorted(job.seen)}"
                for i, job in zip(theirs, waited, strict=True)
            ),
        )  # fmt: skip
        others = [
            job for job in self.load.jobs_of("token")
            if job.viewer != EXHAUSTED_VIEWER and job.requested_at - started < reset - 5
        ]  # fmt: skip
        _, unfinished = self._wait_until_final_or_bound(
            [job.id for job in others], JOB_BOUND_SECONDS
        )
        jobs = checks.read_jobs(self.redis)
        result.check(
            f"other viewers' jobs requested before the reset are final within "
            f"{JOB_BOUND_SECONDS:.0f} s",
            not unfinished,
            "; ".join(checks.where_is_job(self.redis, i) for i in unfinished[:3]),
        )
        durations = [
            _wall(jobs[job.id].finished_at) - _wall(jobs[job.id].created_at)
            for job in others if job.id in jobs and jobs[job.id].status == "done"
        ]  # fmt: skip
        late = [
            job.id for job in others
            if job.id in jobs and _wall(jobs[job.id].finished_at) > reset_at
            and jobs[job.id].status == "done"
        ]  # fmt: skip
        # The exhausted token must hold nobody else's job hostage: no other viewer's job runs
        # with it or waits for its reset (a viewer with budget who asks for a report waiting
        # on it takes the job over). Their own tokens' limits are theirs: under this load a
        # viewer's many new reports meet its own per-minute pacing (gitbrag.github.budget) and
        # wait in the queue for it, which is counted and shown, not a failure of isolation.
        exhausted = {self.redis.hget(checks.NS + JOB_PREFIX + i, "credential") for i in theirs}

        def on_exhausted(job: TrackedJob) -> bool:
            return self.redis.hget(checks.NS + JOB_PREFIX + job.id, "credential") in exhausted

        hostage = [job for job in others if on_exhausted(job)]
        own_waits = [
            job for job in others if "waiting_rate_limit" in job.seen and not on_exhausted(job)
        ]
        waited_own = {job.id for job in own_waits}
        late_unexplained = [i for i in late if i not in waited_own]
        result.check(
            "other viewers' jobs are not delayed by the exhausted token: none runs with it or "
            "waits for its reset, and all of those requested before the reset that did not "
            "wait for their own token's limits finish before it",
            not hostage and not late_unexplained,
            f"{len(others)} jobs; with the exhausted token: "
            f"{[(job.id[:8], job.viewer, sorted(job.seen)) for job in hostage[:5]]}; "
            f"finished after the reset without waiting for their own token: "
            f"{len(late_unexplained)}",
        )
        result.measurements[
            "other viewers' jobs that waited for their own token's limits (informative)"
        ] = (
            f"{len(own_waits)} of {len(others)} ({len(late) - len(late_unexplained)} of them "
            "finished after the reset): "
            + "; ".join(
                f"{job.id[:8]} of {job.viewer}: {sorted(job.waited)}" for job in own_waits[:3]
            )
        )
        if durations:
            result.measurements["other viewers' job time (median / max)"] = (
                f"{statistics.median(durations):.1f} s / {max(durations):.1f} s"
            )
        if self.steady_job_seconds:
            result.measurements["baseline job time, fault-free (median)"] = (
                f"{statistics.median(self.steady_job_seconds):.1f} s"
            )
        finishes = [_wall(records[i].finished_at) - reset_at for i in theirs]
        result.recovery_seconds = max(finishes)
        result.recovery = "from the token's reset until the last of its jobs is done"
        self._finish(result, started, wall)

    # ------------------------------------------------------------------ the end

    def case_secrets(
        self, name: str = "secrets", title: str = "6. Secrets scan after the whole run"
    ) -> None:
        """Drain every job, judge all of them, then scan Redis and every log for secrets."""
        result, started, _ = self._begin(name, title)
        self.load.paused |= {*API_VIEWERS, *SESSION_VIEWERS, EXHAUSTED_VIEWER}
        _, stuck = self._wait_until_final_or_bound(self._active_ids(), JOB_BOUND_SECONDS)
        self.load.stop()
        self._judge_jobs()
        data = generate()  # what the simulated GitHub serves: every token it issues
        assert data.tokens
        scan = checks.scan_secrets(
            self.redis,
            self.stack.log_paths(),
            [FAKEHUB_CLIENT_SECRET, self.stack.secret_key],
            skip=("fakehub",),  # GitHub's stand-in prints the tokens it issues
        )
        assert scan.leaks is not None
        result.requests = 0
        result.measurements["Redis keys / values scanned"] = f"{scan.keys} / {scan.values}"
        result.measurements["log files / lines scanned"] = f"{scan.logs} / {scan.log_lines}"
        result.check(
            "no GitHub token, OAuth client secret or secret key in plaintext in Redis (broker, "
            "delay and dead-letter queues included) or in any log line of any process",
            not scan.leaks,
            "; ".join(scan.leaks[:5]),
        )
        result.check("every job is final at the end of the run", not stuck, f"{stuck[:5]}")
        for job_id in stuck[:5]:
            result.measurements[f"left active: {job_id[:8]}"] = checks.where_is_job(
                self.redis, job_id
            )
        result.duration_seconds = round(time.monotonic() - started, 1)
        self.results.append(result)

    def _judge_jobs(self) -> None:
        """Per case: jobs requested and how they ended, lost jobs, user-safe messages, and
        exactly-once report writes."""
        jobs = checks.read_jobs(self.redis)
        reports = checks.read_reports(self.redis)
        windows = [(r, r.measurements.get("window_wall")) for r in self.results if r.name != "fuzz"]
        for result, window in windows:
            if not window:
                continue
            start, end = window
            mine = [j for j in jobs.values() if start <= _wall(j.created_at) < end]
            statuses = Counter(job.status for job in mine)
            result.jobs_requested = len(mine)
            result.jobs_done = statuses["done"]
            result.jobs_failed = statuses["failed"]
            result.jobs_cancelled = statuses["cancelled"]
            result.jobs_other = statuses["not_found"]
            unsafe = sorted({j.error for j in mine if j.status == "failed" and _unsafe(j.error)})
            result.check(
                "every failed job carries a user-safe message",
                not unsafe,
                f"{unsafe[:3]}",
            )
            errors = Counter(j.error for j in mine if j.status == "failed")
            if errors:
                result.measurements["failure messages"] = dict(errors)
            tracked = [t for t in self.load.jobs.values() if start <= t.requested_at]
            vanished = [
                t.id for t in tracked if t.vanished or (t.id not in jobs and t.case == result.name)
            ]
            result.data_lost += [f"job {job_id} vanished" for job_id in vanished]
            result.check("no job lost (every job handed out is known and final)", not vanished)
        extra, redelivered, unexplained = _exactly_once(jobs, reports)
        workers = next((r for r in self.results if r.name == "workers"), None)
        target = workers or (self.results[-1] if self.results else None)
        if target is not None:
            target.measurements["report writes beyond one per done job"] = (
                f"{extra} (jobs delivered more than once: {redelivered})"
            )
            target.check(
                "every report written once per completed job, more only where the job was "
                "delivered again (at-least-once redelivery)",
                not unexplained,
                "; ".join(unexplained[:3]),
            )


def _exactly_once(
    jobs: dict[str, checks.JobRecord], reports: dict[str, checks.StoredReport]
) -> tuple[int, int, list[str]]:
    """Per report key: writes = one per done job that wrote, plus at most one per extra
    delivery of that key's jobs."""
    by_key: dict[str, list[checks.JobRecord]] = {}
    for job in jobs.values():
        by_key.setdefault(job.report_key, []).append(job)
    extra = redelivered = 0
    unexplained = []
    for key, report in reports.items():
        mine = by_key.get(key, [])
        wrote = sum(1 for j in mine if j.status == "done" and KEPT_PREVIOUS not in j.error)
        again = sum(max(0, j.deliveries - 1) for j in mine)
        redelivered += sum(1 for j in mine if j.deliveries > 1)
        extra += max(0, report.writes - wrote)
        if not wrote <= report.writes <= wrote + again:
            unexplained.append(f"{key}: {report.writes} writes, {wrote} done, {again} redeliveries")
    return extra, redelivered, unexplained


def _unsafe(error: str) -> bool:
    return not error or bool(UNSAFE_ERROR.search(error))


def _path_of(key: str) -> tuple[str, str]:
    """The API path parts (user, query) naming report ``key``."""
    from gitbrag.report.keys import ReportKey
    from web.presenters.paths import key_query

    parsed = ReportKey.parse(key)
    query = dict(key_query(parsed))
    if parsed.range.period is not None:
        query["period"] = parsed.range.period
    return parsed.username.lower(), "&".join(f"{k}={v}" for k, v in query.items())


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/readyz", timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


__all__ = ["Chaos", "Plan", "TrackedJob"]
