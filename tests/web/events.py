"""Reading a job's live-progress stream (SSE) in tests."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient


def job_events(client: TestClient, job_id: str, count: int) -> list[tuple[str, dict[str, object]]]:
    """Read ``count`` events from the job's SSE stream."""
    events: list[tuple[str, dict[str, object]]] = []
    with client.stream("GET", f"/api/jobs/{job_id}/events") as stream:
        assert stream.status_code == 200
        assert stream.headers["content-type"].startswith("text/event-stream")
        name = ""
        for line in stream.iter_lines():
            if line.startswith("event: "):
                name = line.removeprefix("event: ")
            elif line.startswith("data: "):
                events.append((name, json.loads(line.removeprefix("data: "))))
                if len(events) == count:
                    break
    return events
