"""The README as a newcomer reads it: the two set-up commands first, and the picture of the report
it promises is in the repository (made by scripts/report-screenshot.py), small enough for git."""

from __future__ import annotations

import re
import struct
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_readme_starts_with_the_two_commands() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```bash\n(.*?)```", text, re.S)
    assert block is not None
    commands = [line.split("#")[0].strip() for line in block.group(1).splitlines()]
    assert [c for c in commands if c] == ["make demo", "make test"]


def test_the_report_screenshot_is_in_the_repository() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    shown = re.findall(r"!\[[^\]]*\]\(([^)]+\.png)\)", text)
    assert "docs/report.png" in shown
    png = (ROOT / "docs" / "report.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n", "docs/report.png is not a PNG"
    width, height = struct.unpack(">II", png[16:24])  # the IHDR chunk
    assert width >= 800 and height >= 800, (width, height)
    assert len(png) < 1_500_000, f"{len(png):,} bytes: too large to keep in git"
