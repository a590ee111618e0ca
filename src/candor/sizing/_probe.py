"""The measuring process: ``python -m candor.sizing._probe SPEC.json OUT.json``.

Run by :func:`candor.sizing.measure` in a fresh interpreter, one per repeat, so that what the model
costs is not mixed with what the caller already holds. Threads are pinned to one (per-core
figures), the allocator's mmap threshold is fixed (so a batch's large arrays are fresh pages the
kernel counts), and in "memory" mode Python's own allocator is switched to malloc so that glibc's
``mallinfo2`` sees every live byte. The result is written to a temporary file and renamed.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import importlib
import importlib.abc
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

_STATUS = Path("/proc/self/status")


class _MallInfo2(ctypes.Structure):
    _fields_ = [
        (n, ctypes.c_size_t)
        for n in [
            "arena",
            "ordblks",
            "smblks",
            "hblks",
            "hblkhd",
            "usmblks",
            "fsmblks",
            "uordblks",
            "fordblks",
            "keepcost",
        ]
    ]


def _libc() -> Any:
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallinfo2.restype = _MallInfo2
        return libc
    except (OSError, AttributeError):
        return None


_LIBC = _libc()


def _status(key: str) -> int | None:
    try:
        for line in _STATUS.read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def _live() -> int | None:
    """Bytes the C allocator has handed out and not had back (glibc only)."""
    if _LIBC is None:
        return None
    m = _LIBC.mallinfo2()
    return int(m.uordblks + m.hblkhd)


def _settle() -> None:
    gc.collect()
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


def _reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def load_model(path: str, fmt: str, trusted: list[str] | None = None) -> Any:
    """Load a model file in one of the safe formats candor writes."""
    if fmt == "skops":
        import skops.io as sio

        types = sio.get_untrusted_types(file=path) if trusted is None else trusted
        return sio.load(path, trusted=types)
    if fmt == "torch":
        from candor.ladder._cnn import SmallCNN

        return SmallCNN.from_bytes(Path(path).read_bytes())
    if fmt == "lightgbm":
        import lightgbm

        return lightgbm.Booster(model_file=path)
    if fmt == "xgboost":
        import xgboost

        booster = xgboost.Booster()
        booster.load_model(path)
        return booster
    raise ValueError(f"unknown model format {fmt!r}")


def _predictor(model: Any, fmt: str) -> Any:
    if fmt == "xgboost":
        import xgboost

        return lambda X: model.predict(xgboost.DMatrix(X))
    if fmt == "lightgbm":
        return model.predict
    return model.predict_proba if hasattr(model, "predict_proba") else model.predict


class _NoTorch(importlib.abc.MetaPathFinder):
    """Keeps PyTorch out of a process serving a model that does not need it: skops' type registry
    walks scikit-learn, whose array-API support would otherwise import torch where it is
    installed, and the interpreter's baseline would depend on what else is installed."""

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        if name == "torch" or name.startswith("torch."):
            raise ImportError("PyTorch is not needed to serve this model")
        return None


def _preimport(spec: dict[str, Any]) -> None:
    """Import what loading will need, so that import costs are not counted as the model's."""
    if spec["format"] != "torch":
        sys.meta_path.insert(0, _NoTorch())
    import pandas  # noqa: F401

    if spec["format"] == "skops":
        import skops.io as sio

        spec["trusted"] = sio.get_untrusted_types(file=spec["model"])
        for name in spec["trusted"]:
            module = name.rsplit(".", 1)[0]
            with contextlib.suppress(ImportError):
                importlib.import_module(module)
    elif spec["format"] == "torch":
        import torch

        torch.set_num_threads(1)
        import candor.ladder._cnn  # noqa: F401
    elif spec["format"] in ("lightgbm", "xgboost"):
        importlib.import_module(spec["format"])


def run(spec: dict[str, Any]) -> dict[str, Any]:
    import pandas as pd

    _preimport(spec)
    sample = pd.read_parquet(spec["sample"])
    rng = np.random.default_rng(spec.get("seed", 0))
    _settle()
    out: dict[str, Any] = {"mode": spec["mode"], "pid": os.getpid()}
    out["base_rss"] = _status("VmRSS")
    live0 = _live()
    rss0 = _status("VmRSS")
    began = time.perf_counter()
    model = load_model(spec["model"], spec["format"], spec.get("trusted"))
    out["load_seconds"] = time.perf_counter() - began
    _settle()
    live1 = _live()
    rss1 = _status("VmRSS")
    out["live_bytes"] = None if live0 is None or live1 is None else live1 - live0
    # a model smaller than a page can leave the count a page lower (the allocator handed back
    # what earlier garbage held): loading adds nothing then, it does not free memory
    out["rss_after_load"] = None if rss0 is None or rss1 is None else max(0, rss1 - rss0)
    predict = _predictor(model, spec["format"])
    batch = int(spec["batch"])
    # the first calls pay once for lazy imports, thread pools and the math library's buffers for
    # this batch shape: a serving worker pays that once too, so it is counted apart
    predict(sample.iloc[[0]])
    predict(sample.iloc[rng.integers(0, len(sample), batch)].reset_index(drop=True))
    _settle()
    rss2 = _status("VmRSS")
    out["first_call_bytes"] = None if rss1 is None or rss2 is None else rss2 - rss1
    picks = rng.integers(0, len(sample), batch)
    _settle()
    before = _status("VmRSS")
    if _reset_peak() and before is not None:
        X = sample.iloc[picks].reset_index(drop=True)  # the batch itself counts: a server holds it
        predict(X)
        high = _status("VmHWM")
        out["batch_peak_bytes"] = None if high is None else max(0, high - before)
        del X
    else:
        out["batch_peak_bytes"] = None
    if spec["mode"] == "time":
        out.update(_timings(predict, sample, rng, spec))
    return out


def _timings(predict: Any, sample: Any, rng: Any, spec: dict[str, Any]) -> dict[str, Any]:
    single: list[float] = []
    spent = 0.0
    rows = rng.integers(0, len(sample), int(spec.get("max_calls", 2000)))
    for i in rows:
        row = sample.iloc[[int(i)]]
        t = time.perf_counter()
        predict(row)
        took = time.perf_counter() - t
        single.append(took)
        spent += took
        limit = float(spec.get("max_seconds", 1.0))
        if (spent > limit and len(single) >= int(spec.get("min_calls", 100))) or spent > 10 * limit:
            break
    batch = int(spec["batch"])
    per_row: list[float] = []
    spent = 0.0
    for _ in range(int(spec.get("batches", 10))):
        X = sample.iloc[rng.integers(0, len(sample), batch)].reset_index(drop=True)
        t = time.perf_counter()
        predict(X)
        took = time.perf_counter() - t
        per_row.append(took / batch)
        spent += took
        if spent > float(spec.get("max_seconds", 1.0)) and len(per_row) >= 3:
            break
    return {"single_seconds": single, "batch_seconds_per_row": per_row}


def main(argv: list[str]) -> int:
    spec_path, out_path = argv
    spec = json.loads(Path(spec_path).read_text())
    try:
        result = run(spec)
    except Exception as exc:  # reported to the parent, which turns it into a clear error
        result = {"error": f"{type(exc).__name__}: {exc}"}
    tmp = Path(out_path + ".tmp")
    tmp.write_text(json.dumps(result))
    tmp.replace(out_path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
