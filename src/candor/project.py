"""A project: a folder with candor.toml and a ``.candor/`` workspace. Wires config, data and tracking."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from candor.config import CONFIG_NAME, Config, config_template, find_config, load_config
from candor.data import BUNDLED, Dataset, ObjectStore, Split, load_dataset, split_dataset
from candor.errors import ConfigError
from candor.stats import Costs, Evaluation
from candor.tracking import Tracker, estimate_metrics, git_commit

WORKSPACE = ".candor"


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` through a temporary file and a rename: never half a file."""
    write_bytes_atomic(path, text.encode("utf-8"))


def _umask_mode(path: str) -> None:
    """The mode a plain ``open`` would give (mkstemp's files are private: 0600)."""
    mask = os.umask(0)
    os.umask(mask)
    os.chmod(path, 0o666 & ~mask)


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename: never half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        _umask_mode(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def make_workspace(root: Path) -> Path:
    """Create ``root/.candor`` (git-ignored: weights and stores never belong in git)."""
    ws = root / WORKSPACE
    ws.mkdir(parents=True, exist_ok=True)
    ignore = ws / ".gitignore"
    if not ignore.exists():
        write_atomic(ignore, "# candor's workspace: tracking store, artifacts, data objects\n*\n")
    return ws


def init_project(
    folder: str | Path = ".",
    *,
    name: str | None = None,
    source: str = "sklearn:breast_cancer",
    target: str | None = None,
    primary: str | None = None,
    force: bool = False,
) -> Path:
    """Write a commented candor.toml and a ``.candor/`` workspace in ``folder``; the config's path."""
    root = Path(folder)
    cfg = root / CONFIG_NAME
    if cfg.exists() and not force:
        raise ConfigError(f"{cfg} already exists; edit it, or pass --force to overwrite it")
    if target is None:
        if source not in BUNDLED:
            raise ConfigError(f"name the target column of {source}: candor init --target COLUMN")
        target = "target"
    if source not in BUNDLED and not (root / source).is_file():
        raise ConfigError(
            f"data source {source!r} is neither a file under {root.resolve()} nor a bundled set "
            f"({', '.join(BUNDLED)}); give the path of a CSV or Parquet file"
        )
    if primary is None:
        # the task decides the metric: a numeric target with many values is a regression
        task = load_dataset(source, target, base_dir=root).task
        primary = "rmse" if task == "regression" else "roc_auc"
    text = config_template(name or root.resolve().name or "project", source, target, primary)
    write_atomic(cfg, text)
    make_workspace(root)
    return cfg


@dataclass(frozen=True)
class Project:
    """A loaded project: its root folder and validated config."""

    root: Path
    config: Config

    @classmethod
    def load(cls, path: str | Path = ".") -> Project:
        """The project at ``path`` (a folder or its candor.toml), or the nearest one above."""
        p = Path(path)
        cfg = p if p.is_file() else find_config(p)
        if cfg is None:
            raise ConfigError(
                f"no {CONFIG_NAME} in {p.resolve()} or above it. Run `candor init` first."
            )
        return cls(cfg.parent.resolve(), load_config(cfg))

    @property
    def workspace(self) -> Path:
        return make_workspace(self.root)

    @property
    def costs(self) -> Costs | None:
        c = self.config.costs
        return None if c is None else Costs(c.false_positive, c.false_negative)

    def tracker(self) -> Tracker:
        t = self.config.tracking
        return Tracker.for_workspace(
            self.workspace, t.uri, t.experiment or self.config.project.name
        )

    def dataset(self) -> Dataset:
        d = self.config.data
        return load_dataset(
            d.source, d.target, base_dir=self.root, task=d.task, group=d.group, time=d.time
        )

    def object_store(self) -> ObjectStore:
        """Dataset snapshots: ``[data] snapshots`` (a folder or an fsspec URL), else
        ``.candor/objects`` in the project."""
        where = self.config.data.snapshots
        if where is None:
            root = str(self.workspace / "objects")
        elif "://" in where:
            root = where
        else:
            root = str((self.root / where).resolve())
        return ObjectStore(root)

    def split(self, ds: Dataset) -> Split:
        return split_dataset(ds, self.config.data.test_size, self.config.data.seed)


def log_evaluation(
    tracker: Tracker,
    evaluation: Evaluation,
    *,
    run_name: str,
    dataset_hash: str | None = None,
    project_root: Path | None = None,
    params: dict[str, Any] | None = None,
    tags: dict[str, str] | None = None,
) -> str:
    """Record one evaluation as an MLflow run: values and bounds, the data's hash, code and env."""
    all_tags = {"candor.kind": "evaluation", "candor.task": evaluation.task, **(tags or {})}
    if dataset_hash:
        all_tags["candor.dataset_hash"] = dataset_hash
    commit = git_commit(project_root) if project_root else None
    if commit:
        all_tags["candor.git_commit"] = commit
    for name, est in evaluation.metrics.items():
        all_tags[f"candor.method.{name}"] = est.method
    all_params = {"level": evaluation.level, "seed": evaluation.seed, "n_rows": evaluation.n}
    if evaluation.n_groups is not None:
        all_params["n_groups"] = evaluation.n_groups
    all_params.update(params or {})
    return tracker.log_run(
        run_name,
        metrics=estimate_metrics("", evaluation.metrics),
        params=all_params,
        tags=all_tags,
        documents={"evaluation.json": evaluation.to_dict()},
    )
