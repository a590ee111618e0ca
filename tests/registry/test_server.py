"""Team mode: the registry on a real MLflow tracking server (SQLite behind it, artifacts proxied
over HTTP), started on 127.0.0.1 by the test. The same calls register, promote and load; the
checksums are verified on files that came over the wire."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from candor.errors import ChecksumMismatch
from candor.project import Project, init_project
from candor.registering import load, promote, register

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    root = tmp_path_factory.mktemp("mlflow-server")
    port = _free_port()
    env = {
        **os.environ,
        "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false",
        "MLFLOW_DISABLE_TELEMETRY": "true",
    }
    mlflow = Path(sys.executable).with_name("mlflow")
    proc = subprocess.Popen(
        [
            str(mlflow),
            "server",
            "--backend-store-uri",
            f"sqlite:///{root / 'server.db'}",
            "--artifacts-destination",
            str(root / "artifacts"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"mlflow server did not start on {url}")
        time.sleep(0.5)
    try:
        yield url, root / "artifacts"
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def test_register_promote_and_load_through_an_mlflow_server(
    server: tuple[str, Path], tmp_path: Path
) -> None:
    url, artifacts = server
    init_project(tmp_path, source="sklearn:breast_cancer")
    toml = tmp_path / "candor.toml"
    toml.write_text(toml.read_text() + f'\n[tracking]\nuri = "{url}"\n')
    reg = register(tmp_path, name="team", rung="linear")
    assert not (tmp_path / ".candor" / "mlflow.db").exists()  # everything went to the server
    p = promote(tmp_path, name="team", version=reg.version, force=True, reason="not audited")
    assert p.outcome == "forced"
    model = load("team@champion", tracking_uri=url)
    project = Project.load(tmp_path)
    ds = project.dataset()
    X = ds.frame.iloc[project.split(ds).test][ds.features]
    local = load("team/1", project=tmp_path)
    np.testing.assert_array_equal(model.predict_proba(X), local.predict_proba(X))
    # a byte flipped in the server's artifact store is caught on the client
    stored = next(artifacts.rglob("model.skops"))
    data = bytearray(stored.read_bytes())
    data[100] ^= 0xFF
    stored.write_bytes(bytes(data))
    with pytest.raises(ChecksumMismatch, match=r"model\.skops"):
        load("team@champion", tracking_uri=url)
