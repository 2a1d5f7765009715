"""Drive ``wrk`` against one URL and measure the server: requests/s, latency percentiles,
and CPU per request of a process tree (the server's workers) and of Redis."""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass

import psutil

SECONDS = int(os.environ.get("GITBRAG_BENCH_SECONDS", "10"))  # each run's length
CONNECTIONS = 64


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
        "p50": _ms(re.search(r"^\s*50%\s+(\S+)", out, re.M).group(1)),  # type: ignore[union-attr]
        "p99": _ms(re.search(r"^\s*99%\s+(\S+)", out, re.M).group(1)),  # type: ignore[union-attr]
        "errors": (int(errors.group(1)) if errors else 0)
        + (sum(int(n) for n in socket_errors.groups()) if socket_errors else 0),
    }


def measure(
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
