"""Shared test set-up: no telemetry, and MLflow never writes outside a test's temporary folder."""

from __future__ import annotations

import os

os.environ["MLFLOW_DISABLE_TELEMETRY"] = "true"
os.environ.pop("MLFLOW_TRACKING_URI", None)

# two pytest-xdist workers on two cores: OpenMP pools (HistGradientBoosting) would oversubscribe
# the cores and spin-wait, running several times slower
os.environ.setdefault("OMP_NUM_THREADS", "1")

#: recall and false alarms of the audit's planted-leak panel (tests/audit/test_planted_panel.py)
AUDIT_PANEL: dict[str, dict[str, int]] = {}


def pytest_runtest_logreport(report):  # type: ignore[no-untyped-def]
    if report.when != "call":
        return
    for key, rows in report.user_properties:
        if key != "audit_panel":
            continue
        for check, kind, hit in rows:
            c = AUDIT_PANEL.setdefault(check, {"planted": 0, "found": 0, "clean": 0, "false": 0})
            if kind == "planted":
                c["planted"] += 1
                c["found"] += hit
            else:
                c["clean"] += 1
                c["false"] += hit


def pytest_terminal_summary(terminalreporter, exitstatus, config):  # type: ignore[no-untyped-def]
    """Print the planted-leak panel's recall and false-alarm counts."""
    if not AUDIT_PANEL:
        return
    terminalreporter.section("audit: planted-leak recall and false alarms")
    for check, c in sorted(AUDIT_PANEL.items()):
        recall = (
            f"found {c['found']}/{c['planted']} planted leaks"
            if c["planted"]
            else "no leak planted"
        )
        terminalreporter.write_line(
            f"{check:18} {recall}; error on {c['false']}/{c['clean']} clean data sets"
        )
