"""A registered model's ONNX twin for serving: exported and checked at registration, run by ONNX
Runtime when ``candor serve`` answers.

At registration, a model whose inputs are all numbers is exported to ONNX and run by ONNX Runtime
on the project's held-out rows; only an export that gives the model's own labels on every row and
its probabilities within ``PROBABILITY_TOLERANCE`` (predictions within ``PREDICTION_RTOL`` for a
regression) is stored, as ``serving.onnx`` next to the check's figures, inside the version's
checksummed folder. Serving then skips pandas and scikit-learn's per-call overhead (about 7 ms a
request, whatever its size, on the ladder's linear rung): one float32 matrix in, one run.

Everything else is served by the model's own library, as before: a model with text inputs, a
family ONNX cannot express (the dummy, the CNN), an export that fails its check, a project
without the ``candor[onnx]`` extra. A row that float32 cannot hold (a number beyond 3.4e38) also
goes through the model's own library, whose error then names the problem.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

#: the export and its check, inside the model's candor folder
SERVING_ONNX = "serving.onnx"
SERVING_CHECK = "serving-onnx.json"


def serving_export(loaded: Any, X_check: pd.DataFrame) -> tuple[dict[str, bytes], str]:
    """The files to store for serving (empty when the model is served natively) and a sentence
    saying which engine will serve it and why."""
    if not loaded.features or not all(f.numeric for f in loaded.features):
        return {}, "native: its inputs include text, which the fast path does not take"
    if len(X_check) == 0:
        return {}, "native: no held-out rows to check an ONNX export on"
    from candor.registry._onnx import check_loaded, export_model  # the extra is imported lazily

    try:
        data = export_model(loaded, X_check.head(50))
        check = check_loaded(data, loaded, X_check)
    except ImportError:
        return {}, "native: the candor[onnx] extra is not installed"
    except Exception as exc:  # any failure means: serve it natively
        first = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
        return {}, f"native: no ONNX export ({first[:200]})"
    if not check.passed:
        return {}, f"native: the ONNX export failed its check. {check.sentence}"
    return {
        SERVING_ONNX: data
    }, f"onnx: ONNX Runtime, checked on the held-out rows. {check.sentence}"


def engine_note(engine: str) -> bytes:
    """What ``SERVING_CHECK`` holds: the engine chosen at registration and why."""
    kind, _, why = engine.partition(": ")
    return json.dumps({"engine": kind, "why": why}, indent=2).encode()


def read_engine_note(folder: Path) -> dict[str, str]:
    """The engine chosen at registration and why (a version registered before this: native)."""
    path = folder / SERVING_CHECK
    if not path.is_file():
        return {"engine": "native", "why": "registered before candor exported models for serving"}
    return dict(json.loads(path.read_bytes()))


class OnnxEngine:
    """ONNX Runtime running a checked export on rows of numbers, one thread per worker."""

    def __init__(self, data: bytes) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        # uvicorn runs one worker per core asked for: a pool sized to every core would contend
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        self._session = ort.InferenceSession(data, options, providers=["CPUExecutionProvider"])
        self._input = self._session.get_inputs()[0].name

    @classmethod
    def load(cls, data: bytes) -> OnnxEngine | None:
        """The engine for a checked export; None without ONNX Runtime installed."""
        try:
            return cls(data)
        except ImportError:
            return None

    def matrix(self, values: np.ndarray) -> np.ndarray | None:
        """Rows of float64 in training's column order (NaN for missing) as float32; None when a
        value is beyond float32's range, for the model's own library to refuse or answer."""
        with np.errstate(over="ignore"):
            out = values.astype(np.float32)
        if np.isinf(out).any():
            return None
        return out

    def proba(self, matrix: np.ndarray) -> np.ndarray | None:
        """Class probabilities (float64, one column per class); None if any is not finite."""
        outputs = self._session.run(None, {self._input: matrix})
        p = np.asarray(outputs[1], dtype=np.float64)
        return p if np.isfinite(p).all() else None

    def values(self, matrix: np.ndarray) -> np.ndarray | None:
        """A regressor's predictions (float64); None if any is not finite."""
        outputs = self._session.run(None, {self._input: matrix})
        v = np.asarray(outputs[0], dtype=np.float64).reshape(len(matrix), -1)[:, 0]
        return v if np.isfinite(v).all() else None
