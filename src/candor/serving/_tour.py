"""``candor demo``'s serving step: the champion behind a real server on 127.0.0.1 for a moment,
the held-out rows sent as a day of traffic, the routed ones reviewed, and the KPIs read back.

The demo has no people, so its reviewer answers with the true labels of the held-out rows, and
says so in its name: agreement then measures how often the routed answers were right. It gives
no opinion scores (that would be inventing them).
"""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from candor.errors import CandorError

DEMO_REVIEWER = "demo reviewer (the true labels)"
BATCH = 20


@dataclass(frozen=True)
class ServingTour:
    """What a short serve of the held-out rows showed."""

    ref: str
    version: str
    served: int
    routed: int
    by_rule: dict[str, int]
    reviewed: int
    corrected: int
    kpis: dict[str, Any]  # log_kpis(...).to_dict()["total"] for this tour's predictions
    example_reason: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "ref": self.ref,
            "version": self.version,
            "served": self.served,
            "routed": self.routed,
            "by_rule": self.by_rule,
            "reviewed": self.reviewed,
            "corrected": self.corrected,
            "kpis": self.kpis,
            "example_reason": self.example_reason,
        }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _post(url: str, body: Any) -> Any:
    req = urllib.request.Request(
        url, json.dumps(body).encode(), {"content-type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(req, timeout=60) as resp:
        return json.loads(resp.read())


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=60) as resp:
        return json.loads(resp.read())


def serve_held_out(root: str | Path, ref: str) -> ServingTour:
    """Serve ``ref`` on a free loopback port, send the project's held-out rows in batches of 20,
    review what was routed with the true labels, and return what the KPIs say."""
    import uvicorn

    from candor.project import Project
    from candor.serving._server import build_app

    p = Project.load(root)
    ds = p.dataset()
    test = ds.frame.iloc[p.split(ds).test]
    app = build_app(ref, p.root, poll_s=None)
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, name="candor-demo-serve", daemon=True)
    start = time.time()
    thread.start()
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise CandorError(f"the demo's server on {base} did not start")
            time.sleep(0.05)
        records = json.loads(test[ds.features].to_json(orient="records"))
        truth = test[ds.target].tolist()
        answers: list[dict[str, Any]] = []
        for i in range(0, len(records), BATCH):
            answers += _post(f"{base}/predict", records[i : i + BATCH])["predictions"]
        version = _get(f"{base}/health")["version"]
        by_rule: dict[str, int] = {}
        corrected, example = 0, ""
        for a, label in zip(answers, truth, strict=True):
            if not a["routed"]:
                continue
            item = _get(f"{base}/api/review/{a['id']}")
            for r in item["reasons"]:
                rule = r.split(":", 1)[0]
                by_rule[rule] = by_rule.get(rule, 0) + 1
                example = example or r
            right = str(a["prediction"]) == str(label)
            corrected += not right
            _post(
                f"{base}/api/review/{a['id']}",
                {
                    "action": "confirm" if right else "correct",
                    "label": None if right else label,
                    "reviewer": DEMO_REVIEWER,
                },
            )
        routed = sum(a["routed"] for a in answers)
        from candor.serving._review import log_kpis

        kpis = log_kpis(app.state.serving.queue, since=start).to_dict()["total"]
    finally:
        server.should_exit = True
        thread.join(timeout=30)
    return ServingTour(
        ref, str(version), len(answers), routed, by_rule, routed, corrected, kpis, example
    )
