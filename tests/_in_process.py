"""Running a ``candor`` command in the test's own process: what ``main()`` does from a shell, with
the same exit code, stdout and stderr, without the seconds a fresh interpreter spends importing
candor, pandas and MLflow.

For tests about what a command says and exits with. A few tests per command stay real
subprocesses (``tests._subprocess.candor``): only those see the console script, a fresh
environment and a traceback Python itself prints.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shlex
import subprocess
import sys
import traceback
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any
from unittest import mock

#: colour and style codes, in case rich decided at import that it writes to a terminal
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def candor_in_process(command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run ``candor COMMAND`` (split like a shell would) in ``cwd``, in this process.

    An exception that ``main()`` lets through ends the command as it would end Python: exit code 1
    and the traceback on stderr, where a test that says "no traceback" will see it.
    """
    from candor.cli import main

    out, err = io.StringIO(), io.StringIO()
    environ = dict(os.environ)
    code: int | str | None = 0
    try:
        with (
            contextlib.chdir(cwd),
            mock.patch.object(sys, "argv", ["candor", *shlex.split(command)]),
            contextlib.redirect_stdout(out),
            contextlib.redirect_stderr(err),
        ):
            try:
                main()
            except SystemExit as exc:
                code = exc.code
            except Exception:
                err.write(traceback.format_exc())
                code = 1
    finally:
        # a command may point MLflow somewhere (MLflow also exports that as MLFLOW_TRACKING_URI)
        # or set other variables: the next test in this worker starts from the same environment
        if "mlflow" in sys.modules:
            sys.modules["mlflow"].set_tracking_uri(None)
        for key in set(os.environ) - set(environ):
            del os.environ[key]
        os.environ.update(environ)
    if isinstance(code, str):  # sys.exit("message"): Python prints it and exits with 1
        err.write(code + "\n")
        code = 1
    return subprocess.CompletedProcess(
        ["candor", command], code or 0, _ANSI.sub("", out.getvalue()), _ANSI.sub("", err.getvalue())
    )


@contextlib.contextmanager
def returns_of(module: ModuleType, name: str) -> Iterator[list[Any]]:
    """``module.name`` as it is, but keeping what each call returns (in the list yielded).

    For a command whose expensive library call a test wants to render twice (tables, then
    ``--json``): the second rendering is given the kept result instead of a second run.
    """
    real, kept = getattr(module, name), []

    def keeping(*args: Any, **kwargs: Any) -> Any:
        kept.append(real(*args, **kwargs))
        return kept[-1]

    with mock.patch.object(module, name, keeping):
        yield kept
