"""A virtual environment of its own for a peer tool whose pins clash with candor's."""

from __future__ import annotations

import subprocess
import venv
from pathlib import Path


def own_venv(folder: Path, pins: list[str], label: str) -> Path:
    """The Python of ``folder``'s venv, created with ``pins`` on first use."""
    python = folder / "bin" / "python"
    if not python.exists():
        print(f"creating {folder} ({label} with its own pins; a few minutes)...", flush=True)
        venv.create(folder, with_pip=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", *pins], check=True)
    return python
