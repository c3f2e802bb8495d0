"""Report the calls of an API wrapper to ccgauge as harness runs.

Wrap whatever does one unit of work (a call to the Anthropic API, an agent step, a whole
`claude -p` subprocess) in `harness_run(...)`; each run is reported as a `start` and an `end`
event with its task id, label, duration and result. `ccgauge harness` (or GET /api/v1/harness)
then shows runs, success rate per label and cost per task.

Delivery: POST /api/v1/harness to the ccgauge daemon ($CCGAUGE_URL, default
http://127.0.0.1:8321, bearer $CCGAUGE_TOKEN when set); when the daemon does not answer within
200 ms, `ccgauge emit` writes the event to the ledger or spools it. Both carry the same event_id,
so an event that reached the daemon late is still counted once. Reporting never raises.

Standard library only:

    from harness_middleware import harness_run, tracked

    with harness_run("ticket-4711", label="triage", session_id=None):
        response = client.messages.create(...)

    @tracked(label="summarise")
    def summarise(text): ...
"""

import contextlib
import functools
import json
import os
import shutil
import subprocess
import time
import urllib.request
import uuid
from datetime import datetime, timezone

CCGAUGE_URL = os.environ.get("CCGAUGE_URL", "http://127.0.0.1:8321").rstrip("/")
CCGAUGE_TOKEN = os.environ.get("CCGAUGE_TOKEN", "")
SOURCE = "api-wrapper"


def report(event, **fields):
    """Sends one harness event; returns how it was delivered ("daemon", "emit" or "lost")."""
    body = {
        "source": SOURCE,
        "event": event,
        "event_id": uuid.uuid4().hex,
        "timestamp": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
        **fields,
    }
    body = {k: v for k, v in body.items() if v is not None}
    headers = {"Content-Type": "application/json"}
    if CCGAUGE_TOKEN:
        headers["Authorization"] = "Bearer " + CCGAUGE_TOKEN
    request = urllib.request.Request(
        CCGAUGE_URL + "/api/v1/harness", data=json.dumps(body).encode(), headers=headers
    )
    try:
        with urllib.request.urlopen(request, timeout=0.2) as response:
            if 200 <= response.status < 300:
                return "daemon"
    except Exception:  # no daemon, an old one, a timeout: fall back below
        pass
    return _emit(body)


def _emit(body):
    ccgauge = shutil.which("ccgauge")
    if ccgauge is None:
        return "lost"
    args = [ccgauge, "emit", body["event"], "--source", body["source"],
            "--event-id", body["event_id"], "--timestamp", body["timestamp"]]
    for key, flag in (("task_id", "--task"), ("label", "--label"), ("project", "--project"),
                      ("session_id", "--session"), ("error", "--error"),
                      ("duration_ms", "--duration-ms")):
        if key in body:
            args += [flag, str(body[key])]
    if "success" in body:
        args += ["--success", "true" if body["success"] else "false"]
    try:
        subprocess.run(args, timeout=5, check=False,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return "emit"
    except Exception:
        return "lost"


@contextlib.contextmanager
def harness_run(task_id, label=None, project=None, session_id=None):
    """Reports a run around the block: its duration, and success unless it raised."""
    project = project or os.getcwd()
    report("start", task_id=task_id, label=label, project=project, session_id=session_id)
    started = time.monotonic()
    try:
        yield
    except BaseException as error:
        report("end", task_id=task_id, label=label, project=project, session_id=session_id,
               success=False, error=f"{type(error).__name__}: {error}"[:1000],
               duration_ms=round((time.monotonic() - started) * 1000))
        raise
    report("end", task_id=task_id, label=label, project=project, session_id=session_id,
           success=True, duration_ms=round((time.monotonic() - started) * 1000))


def tracked(label=None):
    """Decorator: every call of the function is a run; its task id is the function's name."""

    def wrap(function):
        @functools.wraps(function)
        def call(*args, **kwargs):
            with harness_run(f"{function.__name__}-{uuid.uuid4().hex[:8]}", label=label):
                return function(*args, **kwargs)

        return call

    return wrap


if __name__ == "__main__":
    @tracked(label="example")
    def flaky(n):
        time.sleep(0.05)
        if n % 3 == 0:
            raise RuntimeError("upstream returned 529 overloaded")
        return n

    for i in range(1, 5):
        try:
            flaky(i)
        except RuntimeError:
            pass
    print("reported 4 runs; see `ccgauge harness --label example`")
