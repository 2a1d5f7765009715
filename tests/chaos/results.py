"""One case's outcome, judged by invariants, and the reliability report (Markdown + JSON)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Invariant:
    name: str
    held: bool
    detail: str = ""


@dataclass
class CaseResult:
    name: str
    title: str
    load: str = ""
    duration_seconds: float = 0.0
    requests: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    server_errors_outside_outage: int = 0  # any 5xx, or no answer, outside a Redis outage
    unavailable_during_outage: int = 0  # 503s while Redis was down (allowed)
    jobs_requested: int = 0
    jobs_done: int = 0
    jobs_failed: int = 0
    jobs_cancelled: int = 0
    jobs_other: int = 0  # not_found
    data_lost: list[str] = field(default_factory=list)
    recovery_seconds: float | None = None
    recovery: str = ""  # what the recovery time measures
    invariants: list[Invariant] = field(default_factory=list)
    measurements: dict[str, Any] = field(default_factory=dict)

    def check(self, name: str, held: bool, detail: str = "") -> bool:
        self.invariants.append(Invariant(name, bool(held), detail))
        return held

    @property
    def passed(self) -> bool:
        return all(invariant.held for invariant in self.invariants)


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} s"


def markdown(results: list[CaseResult], *, header: str) -> str:
    """``docs/reliability.md``: the table, then each case's invariants and measurements."""
    lines = [header, ""]
    lines += [
        "| case | load | requests served | 5xx (outside Redis outage) | 503 in outage | "
        "jobs requested / done / failed / cancelled | data lost | longest recovery | result |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for result in results:
        jobs = (
            f"{result.jobs_requested} / {result.jobs_done} / {result.jobs_failed} / "
            f"{result.jobs_cancelled}"
            + (f" (+{result.jobs_other} not found)" if result.jobs_other else "")
        )
        lost = "none" if not result.data_lost else f"**{len(result.data_lost)}**"
        lines.append(
            f"| {result.title} | {result.load} | {result.requests} | "
            f"{result.server_errors_outside_outage} | {result.unavailable_during_outage} | "
            f"{jobs} | {lost} | {_seconds(result.recovery_seconds)} | "
            f"{'pass' if result.passed else '**FAIL**'} |"
        )
    lines.append("")
    for result in results:
        lines += [f"### {result.title}", ""]
        if result.recovery:
            lines += [f"Recovery time: {result.recovery}.", ""]
        for invariant in result.invariants:
            mark = "held" if invariant.held else "**BROKEN**"
            detail = f": {invariant.detail}" if invariant.detail else ""
            lines.append(f"- {mark} — {invariant.name}{detail}")
        if result.data_lost:
            lines += ["", "Lost:", *(f"- {item}" for item in result.data_lost[:20])]
        shown = {k: v for k, v in result.measurements.items() if k != "window_wall"}
        if shown:
            lines += ["", "Measured:"]
            for name, value in shown.items():
                lines.append(f"- {name}: {value}")
        if result.statuses:
            statuses = ", ".join(f"{code}: {n}" for code, n in sorted(result.statuses.items()))
            lines += ["", f"Responses by status: {statuses}."]
        lines.append("")
    return "\n".join(lines)


def write(results: list[CaseResult], markdown_path: Path, json_path: Path, header: str) -> None:
    markdown_path.write_text(markdown(results, header=header))
    payload = {"passed": all(r.passed for r in results), "cases": [asdict(r) for r in results]}
    json_path.write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n")
