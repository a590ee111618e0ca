"""One small real project, audited, laddered on two cheap rungs and registered, with [costs] set;
its report is written once per test worker and shared by the report's tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from candor.auditing import audit_project
from candor.laddering import ladder_project
from candor.project import init_project
from candor.registering import register
from candor.reporting import ReportResult, report


@pytest.fixture(scope="session")
def reported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ReportResult, str]:
    root = tmp_path_factory.mktemp("report-project")
    init_project(root, name="report-test", source="sklearn:breast_cancer")
    cfg = root / "candor.toml"
    cfg.write_text(
        cfg.read_text().replace(
            "# [costs]", "[costs]\nfalse_positive = 1.0\nfalse_negative = 5.0\n# [costs]"
        )
    )
    audit_project(root)
    ladder_project(root, rungs=["dummy", "linear"])
    register(root, name="bc", rung="linear")
    res = report(root)
    return root, res, res.path.read_text(encoding="utf-8")
