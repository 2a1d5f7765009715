"""The serving benchmark's table in ``docs/benchmarks.md`` (between two markers, so the prose
around it is kept): each gitbrag run beside the floor measured with the same bytes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench._wrk import CONNECTIONS

BEGIN, END = "<!-- serving:begin -->", "<!-- serving:end -->"


def _table(runs: list[dict[str, Any]]) -> list[str]:
    floors = {run["name"]: run for run in runs if run["server"] == "floor"}
    small_floor = floors.get("small page", next(iter(floors.values())))
    lines = [
        "| target | body bytes (uncompressed) | req/s (floor) | req/s ratio to the floor "
        "| ratio to the small-page floor | p50 ms (floor) | p99 ms (floor) "
        "| server CPU ms/req (floor) | CPU ratio to the floor | Redis CPU ms/req |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for run in runs:
        if run["server"] != "gitbrag":
            continue
        floor = floors[run["name"]]
        rps, floor_rps = run["requests_per_second"], floor["requests_per_second"]
        cpu, floor_cpu = run["cpu_ms_per_request"], floor["cpu_ms_per_request"]
        lines.append(
            f"| {run['name']} | {run['body_bytes']:,} | {rps:,.0f} ({floor_rps:,.0f}) "
            f"| {rps / floor_rps:.2f} | {rps / small_floor['requests_per_second']:.2f} "
            f"| {run['p50_ms']:.1f} ({floor['p50_ms']:.1f}) "
            f"| {run['p99_ms']:.1f} ({floor['p99_ms']:.1f}) "
            f"| {cpu:.3f} ({floor_cpu:.3f}) | {cpu / floor_cpu if floor_cpu else 0:.1f} "
            f"| {run['redis_cpu_ms_per_request']:.3f} |"
        )
    return lines


def write_table(results: dict[str, Any], docs: Path) -> None:
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
    text = docs.read_text() if docs.exists() else f"# Benchmarks\n\n{BEGIN}\n{END}\n"
    before, _, rest = text.partition(BEGIN)
    _, _, after = rest.partition(END)
    docs.write_text(before + "\n".join(lines) + after)
