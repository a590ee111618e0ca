"""The README's picture of the report: the demo's report.html opened in Debian's chromium (driven by
Playwright's Python package, never `playwright install`), its first screens saved as a PNG.

    make demo                                   # writes candor-demo/report.html
    .venv/bin/python scripts/report-screenshot.py [--report candor-demo/report.html] [--out docs/report.png]

The page must load with no console error and no request but the file itself, as the report's own
browser test demands; the picture is the page's top (``--height`` CSS pixels), not the whole
report, so that it stays small enough to keep in git.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--report", default="candor-demo/report.html", type=Path)
    ap.add_argument("--out", default="docs/report.png", type=Path)
    ap.add_argument("--width", type=int, default=1100, help="viewport width, CSS pixels")
    ap.add_argument("--height", type=int, default=1800, help="height kept, CSS pixels")
    args = ap.parse_args()
    if not args.report.is_file():
        print(f"no report at {args.report}: run `make demo` first", file=sys.stderr)
        return 2
    if not Path(CHROMIUM).exists():
        print(f"{CHROMIUM} is missing: run scripts/system-deps.sh", file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    url = args.report.resolve().as_uri()
    errors: list[str] = []
    requests: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": args.width, "height": args.height})
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("request", lambda r: requests.append(r.url))
            page.goto(url)
            page.wait_for_load_state("load")
            args.out.parent.mkdir(parents=True, exist_ok=True)
            # written next to its place and renamed: no half-written picture if this is killed
            fd, tmp = tempfile.mkstemp(suffix=".png", dir=args.out.parent)
            os.close(fd)
            page.screenshot(path=tmp, full_page=False)
            os.chmod(tmp, 0o644)  # mkstemp makes it private; the picture is for everyone
            os.replace(tmp, args.out)
        finally:
            browser.close()
    if errors or requests != [url]:
        print(
            f"the report is not self-contained: errors {errors}, requests {requests}",
            file=sys.stderr,
        )
        return 1
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e3:.0f} kB) from {args.report}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
