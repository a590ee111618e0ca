"""A project: candor.toml plus a git-ignored .candor/ workspace; config, data and tracking wired."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from candor.config import CONFIG_NAME, load_config
from candor.errors import ConfigError
from candor.project import WORKSPACE, Project, init_project, make_workspace, write_atomic
from candor.tracking import default_tracking_uri


def _customers_project(root: Path) -> Path:
    """A project on a CSV with a group column: 30 customers, 4 rows each."""
    rng = np.random.default_rng(2)
    n = 120
    (root / "data").mkdir(parents=True)
    pd.DataFrame(
        {
            "customer_id": np.repeat(np.arange(30), 4),
            "spend": rng.normal(50, 10, n),
            "churned": rng.integers(0, 2, n),
        }
    ).to_csv(root / "data" / "customers.csv", index=False)
    config = init_project(root, name="churn", source="data/customers.csv", target="churned")
    text = config.read_text(encoding="utf-8").replace(
        '# group = "customer_id"', 'group = "customer_id"'
    )
    config.write_text(text.replace("test_size = 0.25", "test_size = 0.3"), encoding="utf-8")
    return root


def test_init_writes_a_config_and_a_git_ignored_workspace(tmp_path: Path) -> None:
    config = init_project(tmp_path / "churn")
    assert config == tmp_path / "churn" / CONFIG_NAME
    cfg = load_config(config)
    assert (cfg.project.name, cfg.data.source, cfg.data.target) == (
        "churn",
        "sklearn:breast_cancer",
        "target",
    )
    ignore = tmp_path / "churn" / WORKSPACE / ".gitignore"
    assert ignore.is_file()
    assert "*" in ignore.read_text(encoding="utf-8").splitlines()


def test_init_picks_a_metric_that_fits_a_regression_set(tmp_path: Path) -> None:
    cfg = load_config(init_project(tmp_path, source="sklearn:diabetes"))
    assert cfg.metric.primary == "rmse"


def test_init_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    config = init_project(tmp_path, name="first")
    with pytest.raises(ConfigError, match=r"already exists.*--force"):
        init_project(tmp_path, name="second")
    assert load_config(config).project.name == "first"
    init_project(tmp_path, name="second", force=True)
    assert load_config(config).project.name == "second"


def test_init_on_a_file_without_a_target_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="--target"):
        init_project(tmp_path, source="data/customers.csv")
    assert list(tmp_path.iterdir()) == []


def test_make_workspace_keeps_an_existing_gitignore(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path)
    (ws / ".gitignore").write_text("custom\n", encoding="utf-8")
    assert make_workspace(tmp_path) == ws
    assert (ws / ".gitignore").read_text(encoding="utf-8") == "custom\n"


def test_write_atomic_replaces_the_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "file.txt"
    write_atomic(target, "one")
    write_atomic(target, "two")
    assert target.read_text(encoding="utf-8") == "two"
    assert [p.name for p in target.parent.iterdir()] == ["file.txt"]


def test_load_finds_the_config_from_a_subfolder(tmp_path: Path) -> None:
    init_project(tmp_path, name="churn")
    deep = tmp_path / "notebooks" / "2024"
    deep.mkdir(parents=True)
    project = Project.load(deep)
    assert project.root == tmp_path.resolve()
    assert project.config.project.name == "churn"
    assert Project.load(tmp_path / CONFIG_NAME).root == tmp_path.resolve()


def test_load_without_a_config_tells_to_run_init(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="candor init"):
        Project.load(tmp_path)


def test_project_reads_its_data_relative_to_its_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _customers_project(tmp_path / "churn")
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    ds = Project.load(root).dataset()
    assert (ds.n_rows, ds.target, ds.group, ds.task) == (120, "churned", "customer_id", "binary")


def test_project_split_uses_the_declared_group_test_size_and_seed(tmp_path: Path) -> None:
    project = Project.load(_customers_project(tmp_path))
    ds = project.dataset()
    split = project.split(ds)
    assert (split.strategy, split.test_size, split.seed) == ("group", 0.3, 0)
    groups = ds.frame["customer_id"].to_numpy()
    assert set(groups[split.train]).isdisjoint(groups[split.test])


def test_project_costs_and_tracker_come_from_the_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    config = init_project(tmp_path, name="churn")
    project = Project.load(tmp_path)
    assert project.costs is None
    tracker = project.tracker()
    assert tracker.uri == default_tracking_uri(tmp_path.resolve() / WORKSPACE)
    assert tracker.experiment == "churn"
    text = (
        config.read_text(encoding="utf-8")
        .replace("# [costs]", "[costs]")
        .replace("# false_positive = 1.0", "false_positive = 1.0")
        .replace("# false_negative = 20.0", "false_negative = 20.0")
    )
    config.write_text(text, encoding="utf-8")
    costs = Project.load(tmp_path).costs
    assert costs is not None
    assert (costs.false_positive, costs.false_negative) == (1.0, 20.0)
