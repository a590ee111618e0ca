"""Running the ``candor`` command as a user would: a real subprocess, no telemetry, no tracking URI."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path


def candor(command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run ``candor COMMAND`` (split like a shell would) in ``cwd``, as a user would."""
    # one OpenMP thread: under pytest -n the workers already fill the cores, and oversubscribed
    # OpenMP (gradient boosting, BLAS) spin-waits and runs several times slower
    env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true", "OMP_NUM_THREADS": "1"}
    env.pop("MLFLOW_TRACKING_URI", None)
    return subprocess.run(
        [sys.executable, "-m", "candor", *shlex.split(command)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def flat(text: str) -> str:
    """Text with rich's line wrapping undone, so that a phrase can be searched whole."""
    return " ".join(text.split())
