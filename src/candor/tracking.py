"""MLflow, behind one small module: candor's only door to tracking.

Default: a SQLite file and an artifact folder inside the project's ``.candor/`` workspace, so
nothing needs to be started. ``MLFLOW_TRACKING_URI`` (or ``[tracking] uri``) points elsewhere, e.g.
an MLflow server for a team. mlflow is imported lazily: it costs ~1.5 s and ``candor --help`` must
not pay it.
"""

from __future__ import annotations

import math
import os
import platform
import subprocess
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from candor.errors import TrackingError

# set before mlflow is first imported: otherwise a background thread tries to reach a telemetry host
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("MLFLOW_SKIP_PIP_REQUIREMENTS_CHECK", "true")
os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")  # no bars in candor's output

DEFAULT_EXPERIMENT = "candor"
_PACKAGES = ("candor", "numpy", "scipy", "pandas", "scikit-learn", "mlflow")


def default_tracking_uri(workspace: Path) -> str:
    """The embedded store: a SQLite file in the workspace."""
    return f"sqlite:///{(workspace / 'mlflow.db').resolve()}"


def environment_tags() -> dict[str, str]:
    """Python and package versions, recorded with every run."""
    tags = {
        "candor.env.python": platform.python_version(),
        "candor.env.platform": platform.platform(),
    }
    for pkg in _PACKAGES:
        try:
            tags[f"candor.env.{pkg}"] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            continue
    return tags


def git_commit(folder: Path) -> str | None:
    """The commit checked out in ``folder`` (the user's project), or None when it is not a git repo."""
    try:
        out = subprocess.run(
            ["git", "-C", str(folder), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


@dataclass(frozen=True)
class Tracker:
    """Records runs in MLflow for one project workspace.

    Safe to use from one process at a time per SQLite file (SQLite serialises writers); against an
    MLflow server any number of processes may log.
    """

    uri: str
    experiment: str
    artifact_location: str | None

    @classmethod
    def for_workspace(
        cls, workspace: Path, uri: str | None = None, experiment: str | None = None
    ) -> Tracker:
        uri = uri or os.environ.get("MLFLOW_TRACKING_URI") or default_tracking_uri(workspace)
        artifacts = None
        if uri.startswith("sqlite:") or uri.startswith("file:"):
            artifacts = (workspace / "mlartifacts").resolve().as_uri()
        return cls(uri, experiment or DEFAULT_EXPERIMENT, artifacts)

    def _client(self) -> Any:
        try:
            from mlflow.tracking import MlflowClient
        except ImportError as exc:  # pragma: no cover - mlflow is a hard dependency
            raise TrackingError(
                "mlflow is not installed: run `make demo` or pip install candor"
            ) from exc
        import logging

        # MLflow and alembic announce every schema migration of a new store at INFO: keep quiet
        for name in ("mlflow", "alembic"):
            logging.getLogger(name).setLevel(logging.WARNING)
        return MlflowClient(tracking_uri=self.uri)

    def client(self) -> Any:
        """An ``MlflowClient`` on this store (for the registry)."""
        return self._client()

    def log_folder(self, run_id: str, folder: Path, artifact_path: str) -> str:
        """Copy a folder into a run's artifacts; the folder's artifact URI."""
        from mlflow.exceptions import MlflowException

        try:
            client = self._client()
            client.log_artifacts(run_id, str(folder), artifact_path)
            return f"{client.get_run(run_id).info.artifact_uri}/{artifact_path}"
        except MlflowException as exc:
            raise TrackingError(
                f"MLflow at {self.uri} could not store {folder.name} in run {run_id}: {exc.message}"
            ) from exc

    def log_text(self, run_id: str, text: str, name: str) -> None:
        """Add one text artifact to an existing run."""
        from mlflow.exceptions import MlflowException

        try:
            self._client().log_text(run_id, text, name)
        except MlflowException as exc:
            raise TrackingError(
                f"MLflow at {self.uri} could not store {name} in run {run_id}: {exc.message}"
            ) from exc

    def _experiment_id(self, client: Any) -> str:
        exp = client.get_experiment_by_name(self.experiment)
        if exp is not None:
            return str(exp.experiment_id)
        return str(
            client.create_experiment(self.experiment, artifact_location=self.artifact_location)
        )

    def log_run(
        self,
        run_name: str,
        *,
        metrics: dict[str, float],
        params: dict[str, Any] | None = None,
        tags: dict[str, str] | None = None,
        documents: dict[str, dict[str, Any]] | None = None,
        texts: dict[str, str] | None = None,
        files: dict[str, bytes] | None = None,
        parent_run_id: str | None = None,
    ) -> str:
        """One finished run: metrics in a single batch, params, tags, JSON documents, files. Its id.

        ``parent_run_id`` nests the run under another (MLflow's UI shows it as a child).
        """
        from mlflow.entities import Metric, Param, RunTag
        from mlflow.exceptions import MlflowException

        try:
            client = self._client()
            run = client.create_run(self._experiment_id(client), run_name=run_name)
            run_id = str(run.info.run_id)
            now = int(time.time() * 1000)
            all_tags = {**environment_tags(), **(tags or {})}
            if parent_run_id:
                all_tags["mlflow.parentRunId"] = parent_run_id
            client.log_batch(
                run_id,
                metrics=[Metric(k, float(v), now, 0) for k, v in metrics.items()],
                params=[Param(k, str(v)[:6000]) for k, v in (params or {}).items()],
                tags=[RunTag(k, str(v)[:5000]) for k, v in all_tags.items()],
            )
            for name, doc in (documents or {}).items():
                client.log_dict(run_id, doc, name)
            for name, text in (texts or {}).items():
                client.log_text(run_id, text, name)
            if files:
                import tempfile

                with tempfile.TemporaryDirectory() as tmp:
                    for name, data in files.items():
                        path = Path(tmp) / name
                        path.parent.mkdir(parents=True, exist_ok=True)
                        path.write_bytes(data)
                        folder = Path(name).parent
                        client.log_artifact(
                            run_id, str(path), None if folder == Path(".") else str(folder)
                        )
            client.set_terminated(run_id)
        except MlflowException as exc:
            raise TrackingError(
                f"MLflow at {self.uri} could not record run {run_name!r}: {exc.message}. "
                "Check MLFLOW_TRACKING_URI, or unset it to use the project's own SQLite store."
            ) from exc
        return run_id

    def latest_run(self, kind: str, tags: dict[str, str] | None = None) -> Any | None:
        """The most recent run tagged ``candor.kind = kind`` (and ``tags``), or None."""
        from mlflow.exceptions import MlflowException

        try:
            client = self._client()
            exp = client.get_experiment_by_name(self.experiment)
            if exp is None:
                return None
            clauses = [f"tags.`candor.kind` = '{kind}'"]
            clauses += [f"tags.`{k}` = '{v}'" for k, v in (tags or {}).items()]
            runs = client.search_runs(
                [exp.experiment_id],
                " and ".join(clauses),
                max_results=1,
                order_by=["attributes.start_time DESC"],
            )
        except MlflowException as exc:
            raise TrackingError(
                f"MLflow at {self.uri} could not be searched: {exc.message}. Check "
                "MLFLOW_TRACKING_URI, or unset it to use the project's own SQLite store."
            ) from exc
        return runs[0] if runs else None

    @property
    def has_runs(self) -> bool:
        """False when the default SQLite store does not exist yet: nothing to search, and no need
        to start MLflow to find that out."""
        return not (self.uri.startswith("sqlite:///") and not Path(self.uri[10:]).exists())

    def child_run(self, parent_id: str, run_name: str) -> Any | None:
        """The run named ``run_name`` nested under ``parent_id``, or None."""
        from mlflow.exceptions import MlflowException

        try:
            client = self._client()
            parent = client.get_run(parent_id)
            runs = client.search_runs(
                [parent.info.experiment_id],
                f"tags.`mlflow.parentRunId` = '{parent_id}' and attributes.run_name = '{run_name}'",
                max_results=1,
            )
        except MlflowException as exc:
            raise TrackingError(
                f"MLflow at {self.uri} could not be searched: {exc.message}"
            ) from exc
        return runs[0] if runs else None

    def download(self, run_id: str, artifact: str, folder: Path) -> Path | None:
        """Copy one artifact of a run into ``folder``; None when the run has no such file."""
        from mlflow.exceptions import MlflowException

        try:
            client = self._client()
            names = {f.path for f in client.list_artifacts(run_id, str(Path(artifact).parent))}
            if artifact not in names:
                return None
            os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
            return Path(client.download_artifacts(run_id, artifact, str(folder)))
        except MlflowException as exc:
            raise TrackingError(
                f"MLflow at {self.uri} could not hand over {artifact} of run {run_id}: {exc.message}"
            ) from exc

    def get_run(self, run_id: str) -> Any:
        """The MLflow run (for tests and reports)."""
        return self._client().get_run(run_id)


def estimate_metrics(prefix: str, estimates: dict[str, Any]) -> dict[str, float]:
    """MLflow metrics for ``Estimate``s: value, ``_low`` and ``_high``, and ``_n``."""
    out: dict[str, float] = {}
    for name, e in estimates.items():
        key = f"{prefix}{name}"
        out[key], out[f"{key}_low"], out[f"{key}_high"], out[f"{key}_n"] = (
            e.value,
            e.low,
            e.high,
            e.n,
        )
    # MLflow rejects NaN on some stores; an unbounded side (inf) is left out rather than faked
    return {k: v for k, v in out.items() if math.isfinite(v)}
