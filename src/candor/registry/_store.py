"""The MLflow model registry, behind candor's names: versions, aliases, tags and the history of
alias moves.

Contract: every write that depends on what it read (the next version number, the alias a
promotion replaces, the history a rollback replays) happens while holding a lock file in the
project's workspace, so processes on one machine registering and promoting the same model at once
leave a consistent registry: no lost versions, one version per alias, a history in the order the
moves happened. MLflow itself keeps one version per alias. Processes on other machines sharing an
MLflow server are serialised by the server's database for versions and aliases; the history's
entries are written under unique keys, so none is lost, but two rollbacks racing from two machines
could both pick the same previous version.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from candor.errors import CandorError, ModelNotFound, TrackingError
from candor.tracking import Tracker

#: registered-model tags holding the history of one alias: candor.event.<alias>.<time ns>
EVENT_PREFIX = "candor.event."
LOCK_TIMEOUT_S = 120


@dataclass(frozen=True, slots=True)
class ModelRef:
    """A name with a version number or an alias: ``churn@champion``, ``churn/3``, ``models:/churn@champion``."""

    name: str
    version: str | None = None
    alias: str | None = None

    def __str__(self) -> str:
        return f"{self.name}@{self.alias}" if self.alias else f"{self.name}/{self.version}"


_REF = re.compile(r"^(?:models:/)?(?P<name>[^@/:]+)(?:(?P<sep>[@/:])(?P<ref>[^@/:]+))?$")


def parse_ref(text: str, default_alias: str = "champion") -> ModelRef:
    """``churn@champion``, ``churn@3`` or ``churn/3`` (a version), ``churn/latest``, a ``models:/``
    URI, or a bare name (its ``default_alias``).

    >>> parse_ref("churn@champion")
    ModelRef(name='churn', version=None, alias='champion')
    >>> parse_ref("models:/churn/3")
    ModelRef(name='churn', version='3', alias=None)
    >>> parse_ref("churn")
    ModelRef(name='churn', version=None, alias='champion')
    """
    if not isinstance(text, str):
        raise ModelNotFound(
            f"a model reference is text such as 'churn@champion' or 'churn/3', not {text!r}"
        )
    m = _REF.match(text.strip())
    if not m:
        raise ModelNotFound(
            f"{text!r} is not a model reference: write NAME@ALIAS (churn@champion), NAME/VERSION "
            "(churn/3) or models:/churn@champion"
        )
    name, sep, ref = m.group("name"), m.group("sep"), m.group("ref")
    if ref is None:
        return ModelRef(name, alias=default_alias)
    if ref.isdigit() or (sep != "@" and ref == "latest"):
        return ModelRef(name, version=ref)
    if sep != "@":
        raise ModelNotFound(
            f"{text!r}: a version is a number (churn/3); an alias takes @ (churn@champion)"
        )
    return ModelRef(name, alias=ref)


class Registry:
    """MLflow's model registry for one project (its tracker and its lock file)."""

    def __init__(self, tracker: Tracker, lock_path: Path) -> None:
        self.tracker = tracker
        self.lock_path = lock_path
        self._c: Any = None

    @property
    def client(self) -> Any:
        if self._c is None:
            self._c = self.tracker.client()
        return self._c

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the workspace's registry lock (one writer at a time on this machine)."""
        from filelock import FileLock, Timeout

        self.lock_path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with FileLock(str(self.lock_path), timeout=LOCK_TIMEOUT_S):
                yield
        except Timeout as exc:
            raise TrackingError(
                f"another candor process has held the registry lock {self.lock_path} for "
                f"{LOCK_TIMEOUT_S} s; wait for it to finish, or delete the file if no candor "
                "process is running"
            ) from exc

    def _call(self, what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        from mlflow.exceptions import MlflowException

        try:
            return fn(*args, **kwargs)
        except MlflowException as exc:
            if exc.error_code == "RESOURCE_DOES_NOT_EXIST":
                raise ModelNotFound(f"{what}: {exc.message}") from exc
            raise TrackingError(
                f"the model registry at {self.tracker.uri} could not {what}: {exc.message}"
            ) from exc

    # -- models and versions ---------------------------------------------------------------------
    def names(self) -> list[str]:
        if not self.tracker.has_runs:
            return []
        models = self._call("list models", self.client.search_registered_models, max_results=1000)
        return sorted(m.name for m in models)

    def model(self, name: str) -> Any:
        try:
            return self._call(f"find model {name!r}", self.client.get_registered_model, name)
        except ModelNotFound:
            known = self.names()
            hint = f"registered models: {', '.join(known)}" if known else "none is registered yet"
            raise ModelNotFound(
                f"no registered model named {name!r} ({hint}). Register one with `candor register "
                f"--name {name}`"
            ) from None

    def ensure_model(self, name: str, description: str = "") -> None:
        from mlflow.exceptions import MlflowException

        try:
            self.client.create_registered_model(name, description=description or None)
        except MlflowException as exc:
            if exc.error_code != "RESOURCE_ALREADY_EXISTS":
                raise TrackingError(
                    f"the model registry at {self.tracker.uri} could not create model {name!r}: "
                    f"{exc.message}"
                ) from exc

    def versions(self, name: str) -> list[Any]:
        """Every version of ``name``, newest first."""
        found = self._call(
            f"list the versions of {name!r}",
            self.client.search_model_versions,
            f"name = '{_quote(name)}'",
            max_results=10_000,
        )
        return sorted(found, key=lambda v: -int(v.version))

    def create_version(
        self, name: str, source: str, run_id: str, tags: dict[str, str], description: str = ""
    ) -> Any:
        return self._call(
            f"add a version of {name!r}",
            self.client.create_model_version,
            name,
            source,
            run_id=run_id,
            tags={k: v[:5000] for k, v in tags.items()},
            description=description or None,
        )

    def describe(self, name: str, version: str, description: str) -> None:
        self._call(
            f"describe {name} v{version}",
            self.client.update_model_version,
            name,
            version,
            description=description,
        )

    def version(self, name: str, version: str) -> Any:
        self.model(name)
        if not (str(version).isdigit() or version == "latest"):
            raise ModelNotFound(
                f"{version!r} is not a version of {name!r}: give its number (e.g. 3) or 'latest'"
            )
        if version == "latest":
            found = self.versions(name)
            if not found:
                raise ModelNotFound(f"model {name!r} has no versions yet")
            return found[0]
        try:
            return self._call(
                f"find {name} v{version}", self.client.get_model_version, name, str(version)
            )
        except ModelNotFound:
            have = [str(v.version) for v in self.versions(name)]
            raise ModelNotFound(
                f"model {name!r} has no version {version} (versions: {', '.join(have) or 'none'})"
            ) from None

    def resolve(self, ref: ModelRef) -> Any:
        """The version a reference names (an alias is read now)."""
        if ref.version is not None:
            return self.version(ref.name, ref.version)
        assert ref.alias is not None
        model = self.model(ref.name)
        aliases = dict(getattr(model, "aliases", {}) or {})
        if ref.alias not in aliases:
            have = ", ".join(f"@{a} (v{v})" for a, v in sorted(aliases.items())) or "none"
            raise ModelNotFound(
                f"model {ref.name!r} has no alias @{ref.alias} (its aliases: {have}); promote a "
                f"version with `candor promote {ref.name} VERSION --to {ref.alias}`"
            )
        return self.version(ref.name, str(aliases[ref.alias]))

    def alias_version(self, name: str, alias: str) -> str | None:
        aliases = dict(getattr(self.model(name), "aliases", {}) or {})
        v = aliases.get(alias)
        return None if v is None else str(v)

    def set_alias(self, name: str, alias: str, version: str) -> None:
        self._call(
            f"point @{alias} of {name!r} at v{version}",
            self.client.set_registered_model_alias,
            name,
            alias,
            str(version),
        )

    def tag_version(self, name: str, version: str, key: str, value: str) -> None:
        self._call(
            f"tag {name} v{version}",
            self.client.set_model_version_tag,
            name,
            str(version),
            key,
            value[:5000],
        )

    # -- the history of an alias -----------------------------------------------------------------
    def record_event(self, name: str, alias: str, event: dict[str, Any]) -> None:
        """One move of ``alias``, under a key of its own (none overwrites another)."""
        key = f"{EVENT_PREFIX}{alias}.{time.time_ns():020d}"
        self._call(
            f"record a move of @{alias}",
            self.client.set_registered_model_tag,
            name,
            key,
            json.dumps(event, sort_keys=True)[:5000],
        )

    def events(self, name: str, alias: str) -> list[dict[str, Any]]:
        """Every recorded move of ``alias``, oldest first."""
        tags = dict(self.model(name).tags or {})
        prefix = f"{EVENT_PREFIX}{alias}."
        out = []
        for key in sorted(k for k in tags if k.startswith(prefix)):
            try:
                out.append(json.loads(tags[key]))
            except json.JSONDecodeError:
                continue
        return out

    def download(self, mv: Any, folder: Path) -> Path:
        """The version's model folder, copied into ``folder``."""
        import os

        import mlflow.artifacts

        os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
        try:
            return Path(
                mlflow.artifacts.download_artifacts(
                    artifact_uri=mv.source, dst_path=str(folder), tracking_uri=self.tracker.uri
                )
            )
        except Exception as exc:
            raise CandorError(
                f"the files of {mv.name} v{mv.version} could not be read from {mv.source}: {exc}. "
                "Check that the artifact store is reachable"
            ) from exc


def _quote(text: str) -> str:
    return text.replace("'", "\\'")
