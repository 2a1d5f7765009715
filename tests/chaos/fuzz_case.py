"""Case 5 of ``make chaos``: the fuzz suites (``tests/fuzz``) with many fresh examples, their
answers counted from ``FUZZ_RECORD``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from tests.chaos.results import CaseResult
from tests.harness import ROOT

EXAMPLES = 150  # per route and per API operation (make test replays 20)


def run_fuzz_case(examples: int = EXAMPLES) -> CaseResult:
    result = CaseResult("fuzz", "5. Fuzzing every route and the API schema")
    with tempfile.TemporaryDirectory(prefix="gitbrag-fuzz-") as tmp:
        record = Path(tmp) / "answers.jsonl"
        env = {
            **os.environ,
            "FUZZ_EXAMPLES": str(examples),
            "FUZZ_RANDOM": "1",  # new examples each run
            "FUZZ_RECORD": str(record),
        }
        started = time.monotonic()
        run = subprocess.run(
            [sys.executable, "-m", "pytest", "tests/fuzz", "-q", "-p", "no:cacheprovider"],
            cwd=ROOT, env=env, capture_output=True, text=True, check=False,
        )  # fmt: skip
        result.duration_seconds = round(time.monotonic() - started, 1)
        answers = (
            [json.loads(line) for line in record.read_text().splitlines()]
            if (record.exists())
            else []
        )
    statuses = Counter(str(answer["status"]) for answer in answers)
    kinds = Counter(answer["kind"] for answer in answers)
    routes = {answer["route"] for answer in answers}
    result.requests = len(answers)
    result.statuses = dict(statuses)
    result.server_errors_outside_outage = sum(n for code, n in statuses.items() if int(code) >= 500)
    result.load = f"{examples} examples per route and per API operation, in process"
    summary = run.stdout.strip().splitlines()[-1] if run.stdout.strip() else run.stderr[-300:]
    result.measurements["pytest"] = summary
    result.measurements["answers (hypothesis / schemathesis)"] = (
        f"{kinds['hypothesis']} / {kinds['schemathesis']}"
    )
    result.measurements["routes and operations reached"] = len(routes)
    classes = Counter(name for answer in answers for name in answer.get("classes", ()))
    errors = Counter(
        name
        for answer in answers
        if int(answer["status"]) >= 500
        for name in answer.get("classes", ())
    )
    for name in ("unicode_digit", "control", "bidi", "long"):
        result.measurements[f"requests with {name.replace('_', ' ')} input (5xx)"] = (
            f"{classes[name]} ({errors[name]})"
        )
    result.check(
        "the hostile input classes were sent (Unicode digits, controls, bidi, long values)",
        all(classes[name] for name in ("unicode_digit", "control", "bidi", "long")),
        f"sent: {dict(classes)}",
    )
    result.check(
        "never a 5xx, never a traceback, every API answer matching its schema "
        "(hypothesis over every route, schemathesis over every operation)",
        run.returncode == 0 and result.server_errors_outside_outage == 0,
        summary if run.returncode else "",
    )
    if run.returncode:
        lines = run.stdout.splitlines()
        found = [line for line in lines if line.startswith(("E   ", "FAILED"))]
        result.measurements["failures"] = "\n".join(found[:40])
    return result
