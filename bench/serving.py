"""Serving cached reports under load, against the floor, in one run.

A stack on the simulated GitHub (embedded Redis, a ``gitbrag worker``) generates the sample
reports; ``gitbrag web`` then serves them to ``wrk`` (64 connections) and so does the floor
(``bench/_floor.py``: a bare Starlette app answering with the same bytes and headers, from
memory, on the same uvicorn stack and the same number of processes). Measured per target:
requests/s, p50/p99 latency, server CPU per request (the web processes; Redis apart), and the
ratio to the floor measured in the same run (the machine is shared: ratios are what count).

Writes ``bench/results/serving.json`` and the table in ``docs/benchmarks.md``.
``GITBRAG_BENCH_SECONDS`` sets each run's length (default 10).
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx
import psutil

from bench._table import write_table
from bench._wrk import SECONDS, Run, measure
from bench.pipeline import _start_worker, _wait
from gitbrag.fakehub.data import token_for
from gitbrag.fakehub.server import FakeHub
from gitbrag.jobs.service import ReportService
from gitbrag.report.keys import ReportKey
from gitbrag.report.periods import DateRange
from gitbrag.runtime.redis_server import EmbeddedRedis, free_port
from tests.harness import ROOT, test_settings, worker_env

SMALL = ("octocat", "5_years")  # a few dozen pull requests
BIG = ("prolific-bot", "2_years")  # the data set's user with thousands of pull requests
GZIP = {"Accept-Encoding": "gzip"}
DOCS = ROOT / "docs" / "benchmarks.md"


@dataclass(frozen=True)
class Target:
    name: str
    path: str
    headers: dict[str, str]
    floor: str  # the floor target measured with the same bytes


def _generate(service: ReportService) -> dict[str, int]:
    """The sample reports, through the real pipeline; their pull request counts."""
    counts = {}
    for login, period in (SMALL, BIG):
        credential = service.store_credential(token_for(login), viewer_id=None, ttl_seconds=3600)
        key = ReportKey(login, DateRange.for_period(period))  # type: ignore[arg-type]
        job = _wait(service, service.request_report(key, credential).id)
        stored = service.get_report(key)
        assert job.status == "done" and stored is not None, job
        counts[f"{login}/{period}"] = stored.report.totals.pull_requests
    return counts


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def _serve(command: list[str], env: dict[str, str], log: Path, url: str) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=out, start_new_session=True
        )
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(url, timeout=2)
            return process
        except httpx.HTTPError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(log.read_text(errors="replace")) from None
            time.sleep(0.2)


def _targets(etag_of_small_gz: str) -> list[Target]:
    small = f"/user/github/{SMALL[0]}?period={SMALL[1]}"
    big = f"/user/github/{BIG[0]}?period={BIG[1]}"
    return [
        Target("small page", small, {}, "small page"),
        Target("small page, gzip", small, GZIP, "small page, gzip"),
        Target("big page, gzip", big, GZIP, "big page, gzip"),
        Target("big page", big, {}, "big page"),
        Target("JSON API", f"/api/reports/github/{SMALL[0]}?period={SMALL[1]}", {}, "JSON API"),
        # The README card as an image proxy (camo) or a CDN fetches it: compressed.
        Target("card, gzip", f"/user/github/{SMALL[0]}/card.svg?period={SMALL[1]}", GZIP, "card"),
        Target(
            "304 revalidation",
            small,
            {**GZIP, "If-None-Match": etag_of_small_gz},
            "304 revalidation",
        ),
    ]


KEPT_HEADERS = ("content-type", "content-encoding", "cache-control", "etag", "vary")


def _floor_spec(
    base: str, targets: list[Target], tmp: Path
) -> tuple[dict[str, Any], dict[str, int]]:
    """Fetch every target once from gitbrag (the first fetch renders the bundles) and describe
    the floor answering each with the same status, bytes (as sent) and headers. Also returns
    each target's HTML/JSON size before compression."""
    spec: dict[str, Any] = {}
    sizes: dict[str, int] = {}
    with httpx.Client(base_url=base, timeout=60) as client:
        for number, target in enumerate(targets):
            client.get(target.path, headers=target.headers)  # warm: render, cache
            with client.stream("GET", target.path, headers=target.headers) as response:
                sent = b"".join(response.iter_raw())
                status = response.status_code
                headers = {k: v for k, v in response.headers.items() if k in KEPT_HEADERS}
            assert status in (200, 304), (target, status)
            sizes[target.name] = len(client.get(target.path).content) if status == 200 else 0
            path = tmp / f"floor-{number}.bin"
            path.write_bytes(sent)
            spec[f"/floor/{number}"] = {"body": str(path), "status": status, "headers": headers}
    return spec, sizes


def _machine() -> dict[str, Any]:
    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        found = re.search(r"model name\s*:\s*(.+)", cpuinfo.read_text())
        model = found.group(1).strip() if found else ""
    return {
        "cpus": len(os.sched_getaffinity(0)),
        "cpu_model": model,
        "python": platform.python_version(),
        "load_average_before": [round(x, 2) for x in os.getloadavg()],
    }


def _commit() -> str:
    result = subprocess.run(
        ["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True, text=True
    )
    return result.stdout.strip() or "unknown"


def _pass(
    workers: int,
    names: tuple[str, ...] | None,
    env: dict[str, str],
    tmp: Path,
    redis: psutil.Process,
) -> list[Run]:
    """gitbrag and the floor with ``workers`` processes each, one target after the other."""
    web_port, floor_port = free_port(), free_port()
    web_url, floor_url = f"http://127.0.0.1:{web_port}", f"http://127.0.0.1:{floor_port}"
    command = [sys.executable, "-m", "gitbrag", "web", "--port", str(web_port)]
    web = _serve([*command, "--workers", str(workers)], env, tmp / "web.log", web_url + "/healthz")
    floor: subprocess.Popen[bytes] | None = None
    try:
        small = httpx.get(web_url + f"/user/github/{SMALL[0]}?period={SMALL[1]}", headers=GZIP)
        targets = [t for t in _targets(small.headers["etag"]) if names is None or t.name in names]
        spec, sizes = _floor_spec(web_url, targets, tmp)
        (tmp / "floor.json").write_text(json.dumps(spec))
        floor = _serve(
            [sys.executable, "-m", "uvicorn", "bench._floor:app", "--port", str(floor_port),
             "--workers", str(workers), "--loop", "uvloop", "--http", "httptools",
             "--no-access-log", "--log-level", "warning"],
            {**env, "GITBRAG_BENCH_FLOOR": str(tmp / "floor.json")},
            tmp / "floor.log", floor_url + "/floor/0",
        )  # fmt: skip
        web_process, floor_process = psutil.Process(web.pid), psutil.Process(floor.pid)
        runs = []
        for number, target in enumerate(targets):
            body = sizes[target.name]
            floor_path = f"{floor_url}/floor/{number}"
            runs.append(measure(target.name, "floor", floor_path, {}, body, floor_process, redis))
            runs.append(
                measure(target.name, "gitbrag", web_url + target.path, target.headers, body,
                         web_process, redis)
            )  # fmt: skip
        return runs
    finally:
        for process in (web, floor):
            if process is not None:
                _stop(process)


def main() -> dict[str, Any]:
    if shutil.which("wrk") is None:
        raise SystemExit("bench/serving.py needs wrk: apt-get install -y wrk")
    results: dict[str, Any] = {"machine": _machine(), "commit": _commit(), "seconds": SECONDS}
    with tempfile.TemporaryDirectory() as tmp_name, FakeHub() as hub:
        tmp = Path(tmp_name)
        redis_server = EmbeddedRedis(tmp / "redis", persistence=False).start()
        assert redis_server.pid is not None
        redis = psutil.Process(redis_server.pid)
        # The harness's settings and environment: nothing from a developer's .env.
        settings = test_settings(redis_server.url, tmp, hub=hub)
        env = worker_env(settings)
        service = ReportService.from_settings(settings)
        try:
            worker = _start_worker(env, tmp / "worker")
            try:
                results["reports"] = _generate(service)
            finally:
                worker.stop()
            cpus = results["machine"]["cpus"]
            passes: dict[str, tuple[int, tuple[str, ...] | None, dict[str, str]]] = {
                "1 process": (1, None, {}),
                "1 process, GITBRAG_ACCESS_LOG=false": (1, MULTI, {"GITBRAG_ACCESS_LOG": "false"}),
                f"{cpus} processes": (cpus, MULTI, {}),
            }
            results["runs"] = {}
            for label, (workers, names, extra) in passes.items():
                print(f"== {label}", flush=True)
                runs = _pass(workers, names, {**env, **extra}, tmp, redis)
                results["runs"][label] = [asdict(run) for run in runs]
        finally:
            service.redis.close()
            redis_server.stop()
    results["machine"]["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    write_table(results, DOCS)
    return results


MULTI = ("small page, gzip", "JSON API", "card, gzip")
