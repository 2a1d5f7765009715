"""Steady mixed load on the chaos stack, with every response recorded and every job followed.

A small asyncio + httpx driver rather than locust: each response is checked as it arrives
(status against the Redis outage windows, no traceback in any body, API answers in JSON),
every job id the API hands out is followed to its final status through ``GET /api/jobs/{id}``
(a job that vanishes is data lost), and the virtual users are viewers with their own GitHub
tokens and browser sessions. Locust would need all of that written as event hooks around its
own statistics, and gevent's monkey-patching in the same process as the orchestration.

Virtual users (each pauses between requests, so the load is steady, not a flood):

- readers: anonymous page views, exports, paged repositories and issues, the home page,
  probes;
- sessions: logged-in browsers (OAuth through the simulated GitHub) viewing reports and
  pressing "Refresh now" (CSRF form posts);
- requesters: API clients with their own tokens asking for reports nobody has yet;
- refreshers: API clients forcing a refresh of cached reports;
- cancellers: API clients starting a report, then cancelling it;
- the job watcher: polls every job handed out until it finishes.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import random
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from gitbrag.jobs.lifecycle import ACTIVE_STATUSES

REQUEST_TIMEOUT = 30.0
PERIODS = ("1_year", "2_years", "5_years", "all_time")


@dataclass
class Sample:
    """One request: when it was sent and answered (monotonic), and how."""

    started: float
    ended: float
    user: str
    route: str
    status: int  # 0: no HTTP answer (connection refused, timeout)
    problem: str = ""  # what was wrong with the answer, beyond its status


@dataclass
class TrackedJob:
    id: str
    viewer: str
    report: str  # the report's path and query
    key: str  # the report key (as the job record names it)
    requested_at: float
    case: str
    status: str = "queued"
    error: str | None = None
    finished_at: float = 0.0
    vanished: bool = False  # the API stopped knowing it (404)
    seen: set[str] = field(default_factory=set)  # every status the watcher saw
    waited: set[str] = field(default_factory=set)  # what the API said while it waited

    @property
    def finished(self) -> bool:
        return self.status not in ACTIVE_STATUSES


@dataclass
class Viewer:
    login: str
    token: str
    cookies: dict[str, str] = field(default_factory=dict)
    csrf: str = ""


def report_path(user: str, query: str = "") -> str:
    return f"/user/github/{user.lower()}" + (f"?{query}" if query else "")


class LoadDriver:
    """Runs the virtual users on an event loop in a background thread (:meth:`start`,
    :meth:`stop`); the orchestrator reads :attr:`samples` and :attr:`jobs` meanwhile."""

    def __init__(
        self,
        web_urls: list[str],
        *,
        users: list[str],
        api_viewers: list[Viewer],
        session_viewers: list[Viewer],
        cached: list[tuple[str, str]],
        intensity: float = 1.0,
    ) -> None:
        self.web_urls = web_urls
        self.users = users
        self.api_viewers = api_viewers
        self.session_viewers = session_viewers
        self.cached = list(cached)  # (user, query) of reports that exist
        self.intensity = intensity
        self.samples: list[Sample] = []
        self.jobs: dict[str, TrackedJob] = {}
        self.case = "warm-up"
        self.paused: set[str] = set()  # viewers who make no new jobs now
        self._lock = threading.Lock()
        self._counter = itertools.count()
        self._rotation = itertools.count()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()

    # ------------------------------------------------------------------ running

    def start(self) -> LoadDriver:
        self._thread = threading.Thread(target=self._run, name="chaos-load", daemon=True)
        self._thread.start()
        self._ready.wait(30)
        return self

    def stop(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            return
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout=REQUEST_TIMEOUT + 10)

    def _run(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        limits = httpx.Limits(max_connections=64, max_keepalive_connections=32)
        timeout = httpx.Timeout(REQUEST_TIMEOUT)
        async with httpx.AsyncClient(limits=limits, timeout=timeout) as client:
            self._client = client
            tasks = [asyncio.create_task(self._forever(self._reader, 0.6)) for _ in range(3)]
            tasks += [
                asyncio.create_task(self._forever(lambda v=v: self._session(v), 2.0))
                for v in self.session_viewers
            ]
            for viewer in self.api_viewers:
                tasks.append(asyncio.create_task(self._forever(lambda v=viewer: self._new(v), 5)))
            tasks.append(asyncio.create_task(self._forever(self._refresher, 6.0)))
            tasks.append(asyncio.create_task(self._forever(self._canceller, 9.0)))
            tasks.append(asyncio.create_task(self._forever(self._api_reader, 1.0)))
            tasks.append(asyncio.create_task(self._forever(self._watch_jobs, 1.0)))
            self._ready.set()
            await self._stop.wait()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _forever(self, step: Callable[[], Awaitable[None]], pause: float) -> None:
        assert self._stop is not None
        await asyncio.sleep(random.uniform(0, pause))
        while not self._stop.is_set():
            with contextlib.suppress(httpx.HTTPError):
                await step()
            await asyncio.sleep(pause * self.intensity * random.uniform(0.5, 1.5))

    # ------------------------------------------------------------------ requests

    def _web(self) -> str:
        return self.web_urls[next(self._rotation) % len(self.web_urls)]

    async def request(
        self,
        user: str,
        route: str,
        method: str,
        path: str,
        *,
        headers: dict[str, str] | None = None,
        data: dict[str, str] | None = None,
        cookies: dict[str, str] | None = None,
        api: bool = False,
    ) -> httpx.Response | None:
        """Send one request to a web process (round robin) and record it."""
        headers = dict(headers or {})
        if cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in cookies.items())
        started = time.monotonic()
        try:
            response = await self._client.request(
                method, self._web() + path, headers=headers, data=data
            )
        except httpx.HTTPError as exc:
            self._record(Sample(started, time.monotonic(), user, route, 0, type(exc).__name__))
            return None
        self._client.cookies.clear()  # each virtual user sends its own cookies, or none
        problem = ""
        body = response.content
        if b"Traceback (most recent call last)" in body:
            problem = "traceback in the body"
        elif api and not response.headers.get("content-type", "").startswith("application/json"):
            problem = f"API answer is {response.headers.get('content-type')!r}, not JSON"
        self._record(Sample(started, time.monotonic(), user, route, response.status_code, problem))
        return response

    def _record(self, sample: Sample) -> None:
        with self._lock:
            self.samples.append(sample)

    def track(self, job: dict[str, Any], viewer: str, report: str) -> TrackedJob | None:
        job_id = str(job.get("id", ""))
        if not job_id:
            return None
        with self._lock:
            tracked = self.jobs.get(job_id)
            if tracked is None:
                tracked = self.jobs[job_id] = TrackedJob(
                    job_id,
                    viewer,
                    report,
                    str(job.get("report_key", "")),
                    time.monotonic(),
                    self.case,
                )
        return tracked

    def new_query(self) -> str:
        """A custom range nobody asked for yet (so a new report, a new job)."""
        n = next(self._counter)
        since = date(2012, 1, 1) + timedelta(days=n % 3000)
        until = date.today() - timedelta(days=(n // 3000) % 300)
        return f"since={since.isoformat()}&until={until.isoformat()}"

    # ------------------------------------------------------------------ virtual users

    async def _reader(self) -> None:
        choice = random.random()
        if choice < 0.1 or not self.cached:
            await self.request("reader", "GET /", "GET", "/")
            return
        user, query = random.choice(self.cached)
        if choice < 0.6:
            await self.request("reader", "GET report page", "GET", report_path(user, query))
        elif choice < 0.75:
            path = f"/user/github/{user.lower()}.json" + (f"?{query}" if query else "")
            await self.request("reader", "GET .json", "GET", path)
        elif choice < 0.85:
            path = f"/user/github/{user.lower()}.md" + (f"?{query}" if query else "")
            await self.request("reader", "GET .md", "GET", path)
        elif choice < 0.9:
            path = f"/user/github/{user.lower()}/repositories?page=1" + (
                f"&{query}" if query else ""
            )
            await self.request("reader", "GET repositories page", "GET", path)
        elif choice < 0.95:
            path = f"/user/github/{user.lower()}/issues?page=1" + (f"&{query}" if query else "")
            await self.request("reader", "GET issues page", "GET", path)
        else:
            await self.request("reader", "GET /readyz", "GET", "/readyz")

    async def _session(self, viewer: Viewer) -> None:
        if not self.cached:
            return
        user, query = random.choice(self.cached)
        if random.random() < 0.85 or viewer.login in self.paused:
            await self.request(
                viewer.login, "GET report page (session)", "GET", report_path(user, query),
                cookies=viewer.cookies,
            )  # fmt: skip
            return
        form = dict(parse_qs(query)) if query else {}
        data = {name: values[0] for name, values in form.items()}
        data["csrf_token"] = viewer.csrf
        await self.request(
            viewer.login, "POST refresh form", "POST", f"/user/github/{user.lower()}/refresh",
            data=data, cookies=viewer.cookies,
        )  # fmt: skip

    async def _api(
        self, viewer: Viewer, route: str, method: str, path: str
    ) -> httpx.Response | None:
        """An API request with ``viewer``'s token (see :meth:`request`)."""
        headers = {"Authorization": f"Bearer {viewer.token}"}
        return await self.request(viewer.login, route, method, path, headers=headers, api=True)

    async def _new(self, viewer: Viewer) -> None:
        """A report nobody has: a 202 and a job to follow."""
        if viewer.login in self.paused:
            return
        user = random.choice(self.users)
        query = self.new_query()
        path = f"/api/reports/github/{user.lower()}?{query}"
        response = await self._api(viewer, "GET /api/reports (new)", "GET", path)
        if response is not None and response.status_code == 202:
            self.track(response.json()["job"], viewer.login, report_path(user, query))

    async def _refresher(self) -> None:
        viewers = [v for v in self.api_viewers if v.login not in self.paused]
        if not self.cached or not viewers:
            return
        viewer = random.choice(viewers)
        user, query = random.choice(self.cached)
        path = f"/api/reports/github/{user.lower()}/refresh" + (f"?{query}" if query else "")
        response = await self._api(viewer, "POST /api/.../refresh", "POST", path)
        if response is not None and response.status_code == 202:
            self.track(response.json()["job"], viewer.login, report_path(user, query))

    async def _canceller(self) -> None:
        viewers = [v for v in self.api_viewers if v.login not in self.paused]
        if not viewers:
            return
        viewer = random.choice(viewers)
        user = random.choice(self.users)
        query = self.new_query()
        path = f"/api/reports/github/{user.lower()}?{query}"
        response = await self._api(viewer, "GET /api/reports (new)", "GET", path)
        if response is None or response.status_code != 202:
            return
        tracked = self.track(response.json()["job"], viewer.login, report_path(user, query))
        if tracked is None:
            return
        await asyncio.sleep(random.uniform(0.2, 1.5))
        await self._api(viewer, "DELETE /api/jobs/{id}", "DELETE", f"/api/jobs/{tracked.id}")

    async def _api_reader(self) -> None:
        """An API client reading cached reports (200, or 202 while one regenerates)."""
        if not self.cached or not self.api_viewers:
            return
        viewer = random.choice(self.api_viewers)
        user, query = random.choice(self.cached)
        path = f"/api/reports/github/{user.lower()}" + (f"?{query}" if query else "")
        response = await self._api(viewer, "GET /api/reports (cached)", "GET", path)
        if response is not None and response.status_code == 202:
            self.track(response.json()["job"], viewer.login, report_path(user, query))

    async def _watch_jobs(self) -> None:
        with self._lock:
            active = [job for job in self.jobs.values() if not job.finished and not job.vanished]
        semaphore = asyncio.Semaphore(8)

        async def poll(job: TrackedJob) -> None:
            async with semaphore:
                response = await self.request(
                    "watcher", "GET /api/jobs/{id}", "GET", f"/api/jobs/{job.id}", api=True
                )
            if response is None:
                return
            if response.status_code == 404:
                job.vanished = True
            elif response.status_code == 200:
                payload = response.json()
                job.status = payload["status"]
                job.seen.add(job.status)
                job.error = payload.get("error")
                if job.status == "waiting_rate_limit":
                    job.waited.add(str(job.error))
                if job.finished and not job.finished_at:
                    job.finished_at = time.monotonic()

        await asyncio.gather(*(poll(job) for job in active))

    # ------------------------------------------------------------------ reading

    def samples_between(self, start: float, end: float) -> list[Sample]:
        with self._lock:
            return [s for s in self.samples if start <= s.started < end]

    def jobs_of(self, case: str) -> list[TrackedJob]:
        with self._lock:
            return [job for job in self.jobs.values() if job.case == case]


# --------------------------------------------------------------------------- logging in


def log_in(web_url: str, hub_url: str, login: str) -> Viewer:
    """A browser session for ``login``: the OAuth web flow through the simulated GitHub's
    authorize page, then the CSRF token the pages embed."""
    with httpx.Client(base_url=web_url, follow_redirects=False, timeout=30) as browser:
        start = browser.get("/auth/login", params={"return_to": "/"})
        assert start.status_code == 302, start.text
        query = {k: v[0] for k, v in parse_qs(urlsplit(start.headers["location"]).query).items()}
        approve = httpx.post(
            f"{hub_url}/login/oauth/authorize",
            data={
                "client_id": query["client_id"],
                "redirect_uri": query["redirect_uri"],
                "state": query["state"],
                "scope": query.get("scope", ""),
                "login": login,
            },
        )
        assert approve.status_code == 302, approve.text
        callback = urlsplit(approve.headers["location"])
        done = browser.get(f"{callback.path}?{callback.query}")
        assert done.status_code == 303, done.text
        home = browser.get("/")
        marker = 'name="csrf_token" value="'
        begin = home.text.index(marker) + len(marker)
        csrf = home.text[begin : home.text.index('"', begin)]
        return Viewer(login, "", dict(browser.cookies), csrf)
