"""What the serving tests share: a throwaway PostgreSQL cluster from Debian's packages, a project
with a promoted model, and ``candor serve`` started in its own process on a free port."""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import httpx
import pytest

from candor.project import Project, init_project
from candor.registering import promote, register
from candor.serving import PredictionLog, PredictionRecord

PG_USER, PG_DB = "candor", "candor_test"
NO_POSTGRES = (
    "PostgreSQL's initdb and pg_ctl were not found (looked on PATH and in "
    "/usr/lib/postgresql/*/bin): run scripts/system-deps.sh (make test runs it) to install them"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- PostgreSQL -----------------------------------------------------------------------------------
def _postgres_bin() -> Path:
    """The folder holding initdb and pg_ctl: on PATH, else Debian's newest version."""
    on_path = shutil.which("initdb")
    if on_path and shutil.which("pg_ctl"):
        return Path(on_path).parent
    versions = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    if not versions:
        pytest.fail(NO_POSTGRES, pytrace=False)
    return Path(versions[-1]).parent


def _as_cluster_owner() -> tuple[list[str], int | None]:
    """The command prefix that runs PostgreSQL's tools, and the uid to own its files (as root,
    initdb refuses to run: it runs as Debian's ``postgres`` system user)."""
    if os.geteuid() != 0:
        return [], None
    try:
        owner = pwd.getpwnam("postgres")
    except KeyError:
        pytest.fail(
            "running as root, and there is no postgres system user to run initdb as: "
            "run scripts/system-deps.sh (Debian's postgresql package creates it)",
            pytrace=False,
        )
    return ["runuser", "-u", "postgres", "--"], owner.pw_uid


def _run(cmd: list[str], cwd: Path) -> None:
    res = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=120)
    if res.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({res.returncode}): {res.stderr or res.stdout}")


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A PostgreSQL server of our own for this session: a fresh cluster in a temporary folder,
    listening on a free port on 127.0.0.1, trusting local connections, with one empty database.
    Yields ``postgresql+psycopg://candor@127.0.0.1:PORT/candor_test``; stopped and deleted after."""
    bindir = _postgres_bin()
    prefix, owner = _as_cluster_owner()
    # not under pytest's basetemp: that is mode 0700 and root's, which the postgres user cannot enter
    home = Path(tempfile.mkdtemp(prefix="candor-pg-"))
    data, sockets = home / "data", home / "sockets"
    sockets.mkdir()
    if owner is not None:
        for path in (home, sockets):
            os.chown(path, owner, -1)
    _run(
        [
            *prefix,
            str(bindir / "initdb"),
            "-D",
            str(data),
            "-U",
            PG_USER,
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-sync",  # a test cluster: nothing to keep if the machine dies
        ],
        home,
    )
    port, started = 0, False
    try:
        for _ in range(3):  # another process may take the free port before the server binds it
            port = free_port()
            opts = f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1"
            start = [*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-w", "-t", "60"]
            try:
                _run([*start, "-l", str(home / "server.log"), "-o", opts, "start"], home)
                started = True
                break
            except RuntimeError:
                continue
        if not started:
            log = (home / "server.log").read_text(errors="replace")[-2000:]
            pytest.fail(f"PostgreSQL did not start in {home}: {log}", pytrace=False)
        _create_database(port, PG_DB)
        yield f"postgresql+psycopg://{PG_USER}@127.0.0.1:{port}/{PG_DB}"
    finally:
        if started:
            subprocess.run(
                [*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"],
                cwd=home,
                capture_output=True,
                timeout=120,
            )
        shutil.rmtree(home, ignore_errors=True)


def _create_database(port: int, name: str) -> None:
    import psycopg

    with psycopg.connect(
        host="127.0.0.1", port=port, user=PG_USER, dbname="postgres", autocommit=True
    ) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')


def new_database(postgres_url: str) -> str:
    """The URL of a new, empty database on the cluster behind ``postgres_url``."""
    from sqlalchemy.engine import make_url

    url = make_url(postgres_url)
    assert url.port is not None
    name = f"t_{uuid.uuid4().hex[:12]}"
    _create_database(url.port, name)
    return url.set(database=name).render_as_string(hide_password=False)


@pytest.fixture
def fresh_postgres_url(postgres_url: str) -> str:
    """A new, empty database on the session's cluster, for a test that counts rows."""
    return new_database(postgres_url)


# -- the prediction log ---------------------------------------------------------------------------
def prediction(i: int) -> PredictionRecord:
    """A made-up prediction, ``{"x": i}`` in and ``{"label": i % 2}`` out."""
    return PredictionRecord(
        uuid.uuid4().hex, time.time(), "churn", "3", {"x": i}, {"label": i % 2}, 0.9, 1.5
    )


def append_from_threads(log: PredictionLog, threads: int, each: int) -> None:
    """``threads`` threads each append ``each`` predictions one at a time; returns once every
    append's future says it is committed (or raises its error)."""
    futures: list[Future[None]] = []
    lock = threading.Lock()

    def client(k: int) -> None:
        for i in range(each):
            f = log.append([prediction(k * 1_000_000 + i)])
            with lock:
                futures.append(f)

    workers = [threading.Thread(target=client, args=(k,)) for k in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    for f in futures:
        f.result(timeout=60)


# -- candor serve ---------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def model_project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """A project whose model ``m`` (a linear rung on breast_cancer) is the champion, and the
    model's input columns."""
    root = tmp_path_factory.mktemp("served-project")
    init_project(root, source="sklearn:breast_cancer")
    reg = register(root, name="m", rung="linear")
    promote(root, name="m", version=reg.version, force=True, reason="a test: not audited")
    return root, list(Project.load(root).dataset().features)


def one_row(features: list[str], value: float = 1.0) -> dict[str, Any]:
    return dict.fromkeys(features, value)


def start_server(
    root: Path, *args: str, env: dict[str, str] | None = None, ref: str = "m@champion"
) -> tuple[subprocess.Popen[str], str]:
    """``python -m candor serve REF`` in ``root`` on a free port, in its own process group (so
    :func:`stop_server` or a SIGKILL reaches every process it starts); returns it and its base URL
    once /health answers. Its stderr goes to ``root/serve-PORT.stderr`` (see :func:`server_errors`)."""
    port = free_port()
    # stderr to a file, not a pipe: a pipe nobody reads fills up with tracebacks and stalls the server
    errors = root / f"serve-{port}.stderr"
    with errors.open("w") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "candor", "serve", ref, "--port", str(port), *args],
            cwd=root,
            env={**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true", **(env or {})},
            stdout=subprocess.DEVNULL,
            stderr=err,
            text=True,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"candor serve exited: {errors.read_text(errors='replace')[-4000:]}")
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.3)
    kill_server(proc)
    pytest.fail("candor serve did not answer /health within 90 s")


def stop_server(proc: subprocess.Popen[str]) -> None:
    """SIGTERM (uvicorn's graceful stop), then SIGKILL if it takes over 20 s."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        kill_server(proc)


def kill_server(proc: subprocess.Popen[str]) -> None:
    """SIGKILL the server's whole process group: no shutdown handler runs."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)


def server_errors(root: Path, url: str) -> str:
    """What the server at ``url`` started by :func:`start_server` in ``root`` wrote to stderr."""
    path = root / f"serve-{url.rsplit(':', 1)[1]}.stderr"
    return path.read_text(errors="replace") if path.exists() else ""
