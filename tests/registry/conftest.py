"""A project with an audit and a short ladder, built once per test worker and shared by the
registry's tests (each test registers under a model name of its own)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from candor.auditing import audit_project
from candor.laddering import LadderRun, ladder_project
from candor.project import init_project

RUNGS = ["dummy", "linear", "lightgbm", "xgboost"]


@pytest.fixture(scope="session")
def laddered(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, LadderRun]:
    """breast_cancer, audited, with a ladder of four rungs (the dummy recommended never), with
    1,000 bootstrap resamples."""
    root = tmp_path_factory.mktemp("registry-project")
    init_project(root, name="registry-test", source="sklearn:breast_cancer")
    # the registry's tests are about what is stored, gated and loaded, not the intervals' third
    # decimal: the fewest resamples the config allows make every climb and registration cheaper
    config = root / "candor.toml"
    config.write_text(config.read_text().replace("n_resamples = 10000", "n_resamples = 1000", 1))
    audit_project(root)
    run = ladder_project(root, rungs=RUNGS)
    return root, run


@contextmanager
def toml_edit(root: Path, old: str, new: str) -> Iterator[None]:
    """candor.toml with ``old`` replaced by ``new`` for the block's duration."""
    path = root / "candor.toml"
    before = path.read_text()
    assert old in before, old
    path.write_text(before.replace(old, new))
    try:
        yield
    finally:
        path.write_text(before)
