"""Serving cached reports under load, against the floor, in one run.

A stack on the simulated GitHub (embedded Redis, a ``gitbrag worker``) generates the sample
reports; ``gitbrag web`` then serves them to ``wrk`` (64 connections) and so does the floor
(``bench/floor.py``: a bare Starlette app answering with the same bytes and headers, from
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
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx
import psutil

from bench.pipeline import ROOT, _start_worker, _stop, _wait
from gitbrag.fakehub.data import token_for
from gitbrag.fakehub.server import FakeHub
from gitbrag.periods import DateRange, ReportKey
from gitbrag.redis_server import EmbeddedRedis, free_port
from gitbrag.service import ReportService
from gitbrag.settings import Settings

SECONDS = int(os.environ.get("GITBRAG_BENCH_SECONDS", "10"))
CONNECTIONS = 64
SMALL = ("octocat", "5_years")  # a few dozen pull requests
BIG = ("prolific-bot", "2_years")  # the data set's user with thousands of pull requests
GZIP = {"Accept-Encoding": "gzip"}
DOCS = ROOT / "docs" / "benchmarks.md"
BEGIN, END = "<!-- serving:begin -->", "<!-- serving:end -->"


@dataclass(frozen=True)
class Target:
    name: str
    path: str
    headers: dict[str, str]
    floor: str  # the floor target measured with the same bytes


@dataclass
class Run:
    name: str
    server: str
    body_bytes: int
    requests: int
    errors: int
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    cpu_ms_per_request: float
    redis_cpu_ms_per_request: float


def _ms(text: str) -> float:
    found = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if found is None:
        raise RuntimeError(f"wrk printed a latency of {text!r}")
    value, unit = found.groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def _cpu(process: psutil.Process) -> float:
    total = 0.0
    for each in (process, *process.children(recursive=True)):
        try:
            times = each.cpu_times()
            total += times.user + times.system
        except psutil.NoSuchProcess:
            pass
    return total


def _wrk(url: str, headers: dict[str, str]) -> dict[str, float]:
    command = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{SECONDS}s", "--latency", url]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    )
    return {
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),  # type: ignore[union-attr]
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        "p50": _ms(re.search(r"50%\s+(\S+)", out).group(1)),  # type: ignore[union-attr]
        "p99": _ms(re.search(r"99%\s+(\S+)", out).group(1)),  # type: ignore[union-attr]
        "errors": (int(errors.group(1)) if errors else 0)
        + (sum(int(n) for n in socket_errors.groups()) if socket_errors else 0),
    }


def _measure(
    name: str,
    server: str,
    url: str,
    headers: dict[str, str],
    body: int,
    web: psutil.Process,
    redis: psutil.Process,
) -> Run:
    web_before, redis_before = _cpu(web), _cpu(redis)
    result = _wrk(url, headers)
    web_cpu, redis_cpu = _cpu(web) - web_before, _cpu(redis) - redis_before
    requests = max(1, int(result["requests"]))
    run = Run(
        name=name,
        server=server,
        body_bytes=body,
        requests=requests,
        errors=int(result["errors"]),
        requests_per_second=round(result["rps"], 1),
        p50_ms=round(result["p50"], 2),
        p99_ms=round(result["p99"], 2),
        cpu_ms_per_request=round(1000 * web_cpu / requests, 3),
        redis_cpu_ms_per_request=round(1000 * redis_cpu / requests, 4),
    )
    print(
        f"  {server:8} {name:22} {run.requests_per_second:9.1f} req/s  p50 {run.p50_ms:7.2f} ms"
        f"  p99 {run.p99_ms:7.2f} ms  cpu {run.cpu_ms_per_request:.3f} ms/req",
        flush=True,
    )
    return run


def _environment(redis_url: str, hub: FakeHub, tmp: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GITBRAG_")}
    env.update(
        GITBRAG_REDIS_URL=redis_url,
        GITBRAG_SECRET_KEY="bench-secret",
        GITBRAG_DATA_DIR=tmp,
        GITBRAG_GITHUB_API_URL=hub.api_url,
        GITBRAG_GITHUB_GRAPHQL_URL=hub.graphql_url,
        PYTHONPATH=str(ROOT),
        TZ="UTC",
    )
    return env


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
            [sys.executable, "-m", "uvicorn", "bench.floor:app", "--port", str(floor_port),
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
            runs.append(_measure(target.name, "floor", floor_path, {}, body, floor_process, redis))
            runs.append(
                _measure(target.name, "gitbrag", web_url + target.path, target.headers, body,
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
        env = _environment(redis_server.url, hub, tmp_name)
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            redis_url=redis_server.url,
            secret_key="bench-secret",
            data_dir=tmp,
            github_api_url=hub.api_url,
            github_graphql_url=hub.graphql_url,
        )
        service = ReportService.from_settings(settings)
        try:
            worker = _start_worker(env, tmp / "worker.log")
            try:
                results["reports"] = _generate(service)
            finally:
                _stop(worker)
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
    _write_docs(results)
    return results


MULTI = ("small page, gzip", "JSON API")


def _table(runs: list[dict[str, Any]]) -> list[str]:
    floors = {run["name"]: run for run in runs if run["server"] == "floor"}
    small_floor = floors.get("small page", next(iter(floors.values())))
    lines = [
        "| target | HTML/JSON bytes | floor req/s | gitbrag req/s | ratio to its floor "
        "| ratio to the small-page floor | p50 ms | p99 ms | server CPU ms/req "
        "| Redis CPU ms/req |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for run in runs:
        if run["server"] != "gitbrag":
            continue
        floor = floors[run["name"]]
        lines.append(
            f"| {run['name']} | {run['body_bytes']:,} | {floor['requests_per_second']:,.0f} "
            f"| {run['requests_per_second']:,.0f} "
            f"| {run['requests_per_second'] / floor['requests_per_second']:.2f} "
            f"| {run['requests_per_second'] / small_floor['requests_per_second']:.2f} "
            f"| {run['p50_ms']:.1f} | {run['p99_ms']:.1f} | {run['cpu_ms_per_request']:.3f} "
            f"| {run['redis_cpu_ms_per_request']:.3f} |"
        )
    return lines


def _write_docs(results: dict[str, Any]) -> None:
    machine = results["machine"]
    lines = [
        BEGIN,
        f"Measured by `make bench` (`bench/serving.py`) at commit `{results['commit']}` on "
        f"{machine['cpus']} CPUs ({machine['cpu_model'] or 'unknown model'}), Python "
        f"{machine['python']}; load average {machine['load_average_before']} before, "
        f"{machine['load_average_after']} after (the machine is shared). `wrk -t2 -c{CONNECTIONS} "
        f"-d{results['seconds']}s` on the same machine. Reports: {results['reports']}.",
        "",
    ]
    for label, runs in results["runs"].items():
        lines += [f"**{label}** (gitbrag and the floor each):", "", *_table(runs), ""]
    lines.append(END)
    text = DOCS.read_text() if DOCS.exists() else f"# Benchmarks\n\n{BEGIN}\n{END}\n"
    before, _, rest = text.partition(BEGIN)
    _, _, after = rest.partition(END)
    DOCS.write_text(before + "\n".join(lines) + after)
