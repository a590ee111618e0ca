"""candor serve against `mlflow models serve`: the same registered model under the same load.

A fresh project on breast_cancer (30 numeric columns) registers its linear rung as ``m`` version 1
and makes it the champion. Both servers then serve that version on 127.0.0.1 with the same number
of uvicorn workers: ``candor serve m@champion`` (every prediction logged to SQLite before it is
answered) and ``mlflow models serve -m models:/m/1 --env-manager local``, which loads the same
version through its pyfunc. A load generator in its own process keeps a fixed number of requests in
flight (a closed loop, keep-alive connections, pre-encoded bodies) for a fixed time after a warm-up,
with one-row and 100-row requests, trials of the two servers interleaved and their order alternated.

Reported per trial: requests/s and rows/s answered 200 inside the measured window, p50/p99 latency,
the server's CPU per request (its whole process tree, from /proc) and how many cores other work on
the machine used meanwhile. Afterwards the prediction log must hold exactly as many rows as candor
answered with 200. A breakdown then times candor's and MLflow's request paths stage by stage in
this process, one request at a time.

    .venv/bin/python bench/serve.py                 # 1 worker, 5 rounds of 5 s: about 4 minutes
    .venv/bin/python bench/serve.py --workers 1 2   # and 2 workers each: about 7 minutes
    .venv/bin/python bench/serve.py --quick         # 1 round of 3 s: about 1.5 minutes
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

TOOLS = ("candor", "mlflow")
ROWS = (1, 100)
BODIES = 16  # distinct pre-encoded bodies per trial, cycled
CLK_TCK = os.sysconf("SC_CLK_TCK")


# --- the project and the two servers ---------------------------------------------------------------
def make_project(root: Path) -> tuple[str, str, list[dict[str, Any]]]:
    """Register breast_cancer's linear rung as m v1, the champion; (version, tracking URI, rows)."""
    from candor.project import Project, init_project
    from candor.registering import promote, register

    init_project(root, source="sklearn:breast_cancer")
    reg = register(root, name="m", rung="linear")
    promote(root, name="m", version=reg.version, force=True, reason="bench: not audited")
    project = Project.load(root)
    rows = project.dataset().X.to_dict(orient="records")
    return str(reg.version), project.tracker().uri, rows


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """One server process (and its workers, in its own process group)."""

    def __init__(
        self, tool: str, root: Path, workers: int, version: str, uri: str, native: bool = False
    ) -> None:
        self.tool, self.port = tool, _free_port()
        bindir = str(Path(sys.executable).parent)  # mlflow runs `uvicorn` from PATH
        env = {
            **os.environ,
            "MLFLOW_DISABLE_TELEMETRY": "true",
            "PATH": bindir + os.pathsep + os.environ.get("PATH", ""),
        }
        if tool == "candor":
            cmd = [sys.executable, "-m", "candor", "serve", "m@champion"]
            cmd += ["--port", str(self.port), "--workers", str(workers)]
            cmd += ["--native"] if native else []
            env.pop("MLFLOW_TRACKING_URI", None)  # candor reads the project's own
            self.path, self.health = "/predict", "/health"
        else:
            cmd = [str(Path(bindir) / "mlflow"), "models", "serve", "-m", f"models:/m/{version}"]
            cmd += ["--env-manager", "local", "--host", "127.0.0.1", "-p", str(self.port)]
            cmd += ["--workers", str(workers)]
            env["MLFLOW_TRACKING_URI"] = uri
            self.path, self.health = "/invocations", "/health"
        self.output = root / f"{tool}-{workers}.out"
        with self.output.open("w") as out:
            self.proc = subprocess.Popen(
                cmd, cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )

    def wait_ready(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.tool} exited:\n{self.output.read_text()[-3000:]}")
            with (
                contextlib.suppress(OSError),
                urllib.request.urlopen(f"{self.url}{self.health}", timeout=2) as r,
            ):
                if r.status == 200:
                    return
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"{self.tool} did not answer {self.health} in {timeout:.0f} s")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def post(self, body: Any) -> Any:
        req = urllib.request.Request(
            f"{self.url}{self.path}",
            json.dumps(body).encode(),
            {"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=60) as r:
            return json.loads(r.read())

    def body(self, rows: list[dict[str, Any]]) -> Any:
        if self.tool == "mlflow":
            return {"dataframe_records": rows}
        return rows[0] if len(rows) == 1 else rows  # candor takes an object for one row

    def cpu_seconds(self) -> float:
        return tree_cpu_seconds(self.proc.pid)

    def stop(self) -> None:
        # the whole group: mlflow's CLI runs uvicorn in a child, uvicorn runs workers in others
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


def _stat_fields(pid: int) -> list[str]:
    text = Path(f"/proc/{pid}/stat").read_text()
    return text[text.rindex(")") + 2 :].split()  # [0] is field 3 (state), so field n is [n - 3]


def tree_cpu_seconds(root: int) -> float:
    """User + system CPU of ``root`` and every live descendant."""
    children: dict[int, list[int]] = {}
    fields: dict[int, list[str]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, ValueError, IndexError):
                f = _stat_fields(int(entry.name))
                fields[int(entry.name)] = f
                children.setdefault(int(f[1]), []).append(int(entry.name))
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        if pid in fields:
            total += int(fields[pid][11]) + int(fields[pid][12])
        todo.extend(children.get(pid, []))
    return total / CLK_TCK


def machine_busy_seconds() -> float:
    """CPU-seconds every core has spent busy since boot (not idle, not waiting on I/O)."""
    ticks = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(ticks[:8]) - ticks[3] - ticks[4]) / CLK_TCK


# --- the load generator (its own process) ---------------------------------------------------------
async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
    status = int(head[0].split(" ", 2)[1])
    headers = {
        k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in head[1:] if h)
    }
    if "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        parts = []
        while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
            parts.append(await reader.readexactly(size))
            await reader.readexactly(2)
        await reader.readuntil(b"\r\n")
        body = b"".join(parts)
    else:
        raise RuntimeError(f"a response without a length: {head}")
    return status, body, headers.get("connection", "").lower() == "close"


async def _connection(spec: dict[str, Any], raw: list[bytes], k: int, out: dict[str, Any]) -> None:
    host, port, rows = "127.0.0.1", spec["port"], spec["rows"]
    warm_until, end = spec["warm_until"], spec["end"]
    reader, writer = await asyncio.open_connection(host, port)
    i = k
    while time.perf_counter() < end:
        t0 = time.perf_counter()
        writer.write(raw[i % len(raw)])
        i += 1
        status, body, close = await _read_response(reader)
        t1 = time.perf_counter()
        ok = status == 200 and len(json.loads(body)["predictions"]) == rows
        if ok:
            out["rows_answered"] += rows  # warm-up and tail included: the log must hold them all
        elif len(out["errors"]) < 5:
            out["errors"].append(f"{status}: {body[:200]!r}")
        if warm_until <= t1 <= end:  # completed inside the window: counts, whenever it started
            out["ok" if ok else "failed"] += 1
            if ok:
                out["latencies"].append(t1 - t0)
        if close:
            writer.close()
            reader, writer = await asyncio.open_connection(host, port)
    writer.close()


async def _load(spec: dict[str, Any]) -> dict[str, Any]:
    bodies = [b.encode() for b in spec["bodies"]]
    raw = [
        (
            f"POST {spec['path']} HTTP/1.1\r\nHost: 127.0.0.1:{spec['port']}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(b)}\r\n\r\n"
        ).encode()
        + b
        for b in bodies
    ]
    out: dict[str, Any] = {"ok": 0, "failed": 0, "rows_answered": 0, "latencies": [], "errors": []}
    now = time.perf_counter()
    spec = {
        **spec,
        "warm_until": now + spec["warmup"],
        "end": now + spec["warmup"] + spec["seconds"],
    }
    await asyncio.gather(*(_connection(spec, raw, k, out) for k in range(spec["concurrency"])))
    return out


def load_main(spec_file: str) -> None:
    spec = json.loads(Path(spec_file).read_text())
    out = asyncio.run(_load(spec))
    out["client_cpu_s"] = time.process_time()
    print(json.dumps(out))


# --- one trial --------------------------------------------------------------------------------------
def run_trial(
    server: Server, rows: list[dict[str, Any]], n: int, args: argparse.Namespace, work: Path
) -> dict[str, Any]:
    starts = [(j * n) % (len(rows) - n) for j in range(BODIES)]  # distinct for 1 and 100 rows
    bodies = [json.dumps(server.body(rows[s : s + n])) for s in starts]
    spec = {
        "port": server.port,
        "path": server.path,
        "rows": n,
        "bodies": bodies,
        "concurrency": args.concurrency,
        "candor_engine": "native" if args.native else "onnx",
        "warmup": args.warmup,
        "seconds": args.seconds,
    }
    spec_file = work / "load.json"
    spec_file.write_text(json.dumps(spec))
    cpu0, busy0, t0 = server.cpu_seconds(), machine_busy_seconds(), time.monotonic()
    load = subprocess.run(
        [sys.executable, __file__, "--load", str(spec_file)],
        capture_output=True,
        text=True,
        check=True,
    )
    cpu1, busy1, wall = server.cpu_seconds(), machine_busy_seconds(), time.monotonic() - t0
    got = json.loads(load.stdout)
    lat = np.asarray(got["latencies"]) * 1000
    answered = got["rows_answered"] // n
    server_cpu = cpu1 - cpu0
    return {
        "tool": server.tool,
        "rows": n,
        "requests_s": got["ok"] / args.seconds,
        "rows_s": got["ok"] * n / args.seconds,
        "p50_ms": float(np.percentile(lat, 50)) if lat.size else float("nan"),
        "p99_ms": float(np.percentile(lat, 99)) if lat.size else float("nan"),
        "failed": got["failed"],
        "errors": got["errors"],
        "rows_answered": got["rows_answered"],
        "server_cpu_ms_per_request": server_cpu * 1000 / max(answered, 1),
        "client_cpu_s": got["client_cpu_s"],
        "other_cores": max(0.0, (busy1 - busy0 - server_cpu - got["client_cpu_s"]) / wall),
        "load_avg_1m": os.getloadavg()[0],
    }


def log_count(root: Path) -> int:
    from candor.serving import PredictionLog

    with PredictionLog(f"sqlite:///{(root / '.candor' / 'predictions.db').resolve()}") as log:
        return log.count()


def check_same_answers(servers: dict[str, Server], rows: list[dict[str, Any]]) -> int:
    """Both servers give the same labels on 100 rows; the rows candor logged doing so."""
    got = {t: s.post(s.body(rows[:100]))["predictions"] for t, s in servers.items()}
    labels = {t: [p["prediction"] for p in preds] for t, preds in got.items()}
    if labels["candor"] != labels["mlflow"]:
        raise RuntimeError("candor and MLflow disagree on the same rows: not the same model?")
    return 100


# --- where the time goes (in this process, one request at a time) ---------------------------------
def _cpu_ms(fn: Callable[[], Any], repeat: int, blocks: int = 3) -> float:
    # CPU time, not wall: it is what one worker runs out of (the log's writer thread counts, its
    # fsync wait does not). Other work on the machine still slows it (two cores share caches), so
    # the least of a few blocks is taken: interference only ever adds.
    for _ in range(3):
        fn()
    best = float("inf")
    for _ in range(blocks):
        start = time.process_time()
        for _ in range(repeat):
            fn()
        best = min(best, (time.process_time() - start) * 1000 / repeat)
    return best


def breakdown(root: Path, version: str, uri: str, rows: list[dict[str, Any]], repeat: int) -> Any:
    """CPU milliseconds per request for each stage of both servers' paths, one request at a time
    (private parts of candor and MLflow are called: this is a profile, not an API)."""
    from types import SimpleNamespace

    from pydantic import TypeAdapter

    from candor.project import Project
    from candor.registering import load_version, project_registry
    from candor.registry import parse_ref
    from candor.serving import PredictionLog, RoutingRules, ServedModel, Serving
    from candor.serving._schema import row_model

    os.environ["MLFLOW_TRACKING_URI"] = uri
    import mlflow.pyfunc

    project = Project.load(root)
    model = load_version(project_registry(project), parse_ref("m@champion"))
    pyfunc = mlflow.pyfunc.load_model(f"models:/m/{version}")
    Row = row_model(model.features)
    log = PredictionLog(f"sqlite:///{(root / 'breakdown.db').resolve()}")
    ctx = SimpleNamespace(
        model=model,
        pyfunc=pyfunc,
        body_type=TypeAdapter(Row | list[Row]),  # type: ignore[valid-type]
        log=log,
        serving=Serving(
            ServedModel(lambda: model, lambda: model.version),
            log,
            RoutingRules.from_config(project.config.feedback),
        ),
    )
    try:
        return {n: {k: _cpu_ms(f, repeat) for k, f in _stages(ctx, rows[:n]).items()} for n in ROWS}
    finally:
        log.close()


def _stages(ctx: Any, batch: list[dict[str, Any]]) -> dict[str, Callable[[], Any]]:
    from mlflow.pyfunc.scoring_server import _parse_json_data, predictions_to_json
    from pydantic_core import to_json

    from candor.serving import PredictionRecord
    from candor.serving._app import _answer, _Inputs, _route
    from candor.serving._schema import rows_as_records

    model, pyfunc = ctx.model, ctx.pyfunc
    schema = pyfunc.metadata.get_input_schema()
    cbody = json.dumps(batch[0] if len(batch) == 1 else batch).encode()
    mbody = json.dumps({"dataframe_records": batch}).encode()
    parsed = ctx.body_type.validate_python(json.loads(cbody))
    records = rows_as_records(parsed if isinstance(parsed, list) else [parsed])
    inputs = _Inputs(records, model)
    preds = _answer(model, inputs, True)
    reasons, details = _route(ctx.serving, model, inputs, preds)
    response = {
        "model": "m",
        "version": "1",
        "predictions": [
            {"id": os.urandom(16).hex(), **o, "routed": bool(w)}
            for o, w in zip(preds, reasons, strict=True)
        ],
    }
    mdata = _parse_json_data(mbody, pyfunc.metadata, schema).data
    raw = pyfunc.predict(mdata)

    def log_one() -> None:
        ctx.log.append(
            [
                PredictionRecord(
                    os.urandom(16).hex(),
                    time.time(),
                    "m",
                    "1",
                    r,
                    o,
                    0.9,
                    1.0,
                    "; ".join(w) or None,
                    d,
                )
                for r, o, w, d in zip(records, preds, reasons, details, strict=True)
            ]
        ).result()

    stages: dict[str, Callable[[], Any]] = {
        "candor: JSON + pydantic validation": lambda: ctx.body_type.validate_python(
            json.loads(cbody)
        ),
        "candor: records (model_dump)": lambda: rows_as_records(
            parsed if isinstance(parsed, list) else [parsed]
        ),
        "candor: answer by ONNX Runtime (matrix, run, dicts)": lambda: _answer(
            model, _Inputs(records, model), True
        ),
        "candor --native: answer by scikit-learn (DataFrame, checks, pipeline, dicts)": (
            lambda: _answer(model, _Inputs(records, model), False)
        ),
        "candor: routing (novelty score on the matrix, rules)": lambda: _route(
            ctx.serving, model, _Inputs(records, model), preds
        ),
        "candor: log append + commit (with its fsync), alone": log_one,
        "candor: response (pydantic_core.to_json)": lambda: to_json(response),
        "mlflow: parse dataframe_records + schema": lambda: _parse_json_data(
            mbody, pyfunc.metadata, schema
        ),
        "mlflow: pyfunc.predict (its schema check + candor's pyfunc)": lambda: pyfunc.predict(
            mdata
        ),
        "  of which candor's pyfunc predict": lambda: pyfunc.unwrap_python_model().predict(
            None, mdata
        ),
        "mlflow: response encoding": lambda: predictions_to_json(raw, _Sink()),
    }
    return stages


class _Sink:
    def write(self, _: str) -> None:
        pass


# --- summary ------------------------------------------------------------------------------------------
def _median_range(values: list[float], fmt: str) -> str:
    med = statistics.median(values)
    if len(values) == 1:
        return format(med, fmt)
    return f"{format(med, fmt)} ({format(min(values), fmt)}-{format(max(values), fmt)})"


def summarise(trials: list[dict[str, Any]]) -> list[str]:
    lines = [
        "| workers | rows/request | server | requests/s | rows/s | p50 ms | p99 ms | server CPU ms/request | other cores busy |",
        "|---:|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    ratios = []
    for w in sorted({t["workers"] for t in trials}):
        for n in ROWS:
            for tool in TOOLS:
                ts = [t for t in trials if (t["workers"], t["rows"], t["tool"]) == (w, n, tool)]
                if not ts:
                    continue
                cells = [
                    _median_range([t[k] for t in ts], fmt)
                    for k, fmt in (
                        ("requests_s", ".1f"),
                        ("rows_s", ",.0f"),
                        ("p50_ms", ".1f"),
                        ("p99_ms", ".1f"),
                        ("server_cpu_ms_per_request", ".1f"),
                        ("other_cores", ".2f"),
                    )
                ]
                lines.append(f"| {w} | {n} | {tool} | " + " | ".join(cells) + " |")
            # a round's two trials ran next to each other, so their ratio is the paired figure
            pairs = [
                next(t["requests_s"] for t in trials if _key(t, w, n, "candor", r))
                / next(t["requests_s"] for t in trials if _key(t, w, n, "mlflow", r))
                for r in sorted({t["round"] for t in trials if t["workers"] == w})
            ]
            ratios.append((w, n, pairs))
    lines.append("")
    for w, n, pairs in ratios:
        lines.append(
            f"candor / MLflow throughput, {w} worker(s), {n} row(s) a request: "
            f"{_median_range(pairs, '.2f')} (median of rounds, range)"
        )
    return lines


def _key(t: dict[str, Any], w: int, n: int, tool: str, r: int) -> bool:
    return (t["workers"], t["rows"], t["tool"], t["round"]) == (w, n, tool, r)


# --- main -----------------------------------------------------------------------------------------------
@contextlib.contextmanager
def servers(
    root: Path, workers: int, version: str, uri: str, native: bool
) -> Iterator[dict[str, Server]]:
    started = {t: Server(t, root, workers, version, uri, native) for t in TOOLS}
    try:
        for s in started.values():
            s.wait_ready()
        with urllib.request.urlopen(f"{started['candor'].url}/health", timeout=10) as r:
            engine = json.loads(r.read())["engine"]
        print(f"candor serves m v{version} with engine {engine!r}", flush=True)
        yield started
    finally:
        for s in started.values():
            s.stop()


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--workers", type=int, nargs="+", default=[1], help="uvicorn workers, each")
    ap.add_argument("--rounds", type=int, default=5, help="interleaved trials per configuration")
    ap.add_argument("--seconds", type=float, default=5.0, help="measured seconds per trial")
    ap.add_argument("--warmup", type=float, default=1.0, help="seconds of warm-up per trial")
    ap.add_argument("--concurrency", type=int, default=8, help="requests in flight")
    ap.add_argument("--quick", action="store_true", help="1 round of 3 s after 1 s of warm-up")
    ap.add_argument("--no-breakdown", action="store_true", help="skip the per-stage timings")
    ap.add_argument(
        "--native",
        action="store_true",
        help="candor serve --native: scikit-learn, not the version's checked ONNX export",
    )
    ap.add_argument("--out", default="bench/results/serve.json")
    ap.add_argument("--load", help=argparse.SUPPRESS)  # internal: run as the load generator
    args = ap.parse_args()
    if args.load:
        load_main(args.load)
        return
    if args.quick:
        args.rounds, args.seconds, args.warmup = 1, 3.0, 1.0
    os.environ["MLFLOW_DISABLE_TELEMETRY"] = "true"
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="candor-serve-bench-") as tmp:
        root = Path(tmp) / "project"
        root.mkdir()
        print("registering breast_cancer's linear rung as m v1 (champion)...", flush=True)
        version, uri, rows = make_project(root)
        trials: list[dict[str, Any]] = []
        expected_log = 0
        for w in args.workers:
            print(f"[{time.monotonic() - started:.0f} s] starting both servers, {w} worker(s) each")
            with servers(root, w, version, uri, args.native) as running:
                expected_log += check_same_answers(running, rows)
                for r in range(args.rounds):
                    for n in ROWS:
                        order = TOOLS if (r + ROWS.index(n)) % 2 == 0 else TOOLS[::-1]
                        for tool in order:
                            before = log_count(root) if tool == "candor" else 0
                            t = run_trial(running[tool], rows, n, args, Path(tmp))
                            if tool == "candor":
                                t["log_rows_added"] = log_count(root) - before
                                expected_log += t["rows_answered"]
                            t.update(workers=w, round=r)
                            trials.append(t)
                            print(
                                f"workers {w} round {r} {n:>3} row(s) {tool:>6}: "
                                f"{t['requests_s']:6.1f} req/s  p50 {t['p50_ms']:6.1f} ms  "
                                f"p99 {t['p99_ms']:6.1f} ms  {t['server_cpu_ms_per_request']:5.1f} "
                                f"CPU ms/req  others {t['other_cores']:.2f} cores"
                                + (
                                    f"  FAILED {t['failed']}: {t['errors'][:1]}"
                                    if t["failed"]
                                    else ""
                                ),
                                flush=True,
                            )
        logged = log_count(root)
        mismatched = [
            t for t in trials if t.get("log_rows_added", t["rows_answered"]) != t["rows_answered"]
        ]
        parts = None
        if not args.no_breakdown:
            print(
                f"[{time.monotonic() - started:.0f} s] timing each stage in-process...", flush=True
            )
            parts = breakdown(root, version, uri, rows, repeat=3 if args.quick else 8)
    lines = summarise(trials)
    lines.append(
        f"prediction log: {logged:,} rows; candor answered {expected_log:,} predictions with 200"
        + (" (equal)" if logged == expected_log and not mismatched else " (MISMATCH)")
    )
    print("\n" + "\n".join(lines))
    if parts:
        print(
            "\n| stage (CPU ms per request, one at a time, least of 3 blocks) | 1 row | 100 rows |\n|---|---:|---:|"
        )
        for stage in parts[1]:
            print(f"| {stage} | {parts[1][stage]:.2f} | {parts[100][stage]:.2f} |")
    meta = {
        "date": date.today().isoformat(),
        "command": " ".join([".venv/bin/python", "bench/serve.py", *sys.argv[1:]]),
        "python": platform.python_version(),
        "cores": os.cpu_count(),
        "candor": _candor_source(),
        "concurrency": args.concurrency,
        "candor_engine": "native" if args.native else "onnx",
        "seconds": args.seconds,
        "warmup": args.warmup,
        "wall_s": round(time.monotonic() - started, 1),
        "log_rows": logged,
        "predictions_answered": expected_log,
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"meta": meta, "trials": trials, "breakdown": parts}, indent=2))
    print(f"\n{meta['wall_s']:.0f} s in all; results in {out}")
    if logged != expected_log or mismatched:
        sys.exit(1)


def _candor_source() -> str:
    import candor

    src = Path(candor.__file__).resolve().parents[1]
    commit = subprocess.run(
        ["git", "-C", str(src), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    return f"{src} ({commit or 'not a git checkout'})"


if __name__ == "__main__":
    main()
