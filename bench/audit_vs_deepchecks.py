"""candor audit against Deepchecks' train_test_validation suite on the same planted-leak data.

Deepchecks needs older scikit-learn and pandas than candor, so it gets its own virtual environment
(created on first run in bench/.venv-deepchecks with the pins below). Each tool runs in its own
process on the same Parquet files; each reports its wall time, its own peak resident memory, and
which planted leaks it flagged.

    .venv/bin/python bench/audit_vs_deepchecks.py --train-rows 100000 --test-rows 25000
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _venvs import own_venv
from audit import leaks_found, planted

DEEPCHECKS_PINS = [
    "deepchecks==0.19.1",
    "scikit-learn==1.5.2",
    "pandas==2.2.3",
    "numpy==1.26.4",
    "category-encoders==2.6.4",
    "setuptools<81",
    "pyarrow==17.0.0",
]
VENV = Path(__file__).parent / ".venv-deepchecks"

DEEPCHECKS_RUN = r"""
import json, resource, sys, time, warnings
warnings.filterwarnings("ignore")
import pandas as pd
from deepchecks.tabular import Dataset
from deepchecks.tabular.suites import train_test_validation
train, test = pd.read_parquet(sys.argv[1]), pd.read_parquet(sys.argv[2])
cats = [c for c in train.columns if str(train[c].dtype) == "category"]
t = time.perf_counter()
result = train_test_validation().run(
    Dataset(train, label="y", cat_features=cats), Dataset(test, label="y", cat_features=cats)
)
wall = time.perf_counter() - t
failed = []
for r in result.results:
    header = getattr(r, "header", None) or getattr(getattr(r, "check", None), "name", lambda: "?")()
    conds = getattr(r, "conditions_results", [])
    if any(not c.is_pass() for c in conds):
        failed.append(header)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3
print(json.dumps({"wall_s": wall, "peak_mb": peak, "failed_checks": failed}))
"""

CANDOR_RUN = r"""
import json, resource, sys, time
import pandas as pd
from candor.audit import audit
train, test = pd.read_parquet(sys.argv[1]), pd.read_parquet(sys.argv[2])
t = time.perf_counter()
report = audit(train, test, "y")
wall = time.perf_counter() - t
findings = [
    {"check": f.check, "severity": f.severity, "title": f.title, "count": f.count}
    for f in report.findings
]
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3
print(json.dumps({"wall_s": wall, "peak_mb": peak, "findings": findings}))
"""

#: which Deepchecks check, failing its condition, counts as finding each planted leak (it has none
#: for near copies or for pairs of columns)
DEEPCHECKS_FOUND_BY = {
    "exact copies": "Train Test Samples Mix",
    "target proxy": "Feature Label Correlation Change",
}


def ensure_deepchecks() -> Path:
    return own_venv(VENV, DEEPCHECKS_PINS, "Deepchecks")


def run(python: str, code: str, train: Path, test: Path) -> dict[str, object]:
    out = subprocess.run(
        [python, "-c", code, str(train), str(test)], capture_output=True, text=True
    )
    if out.returncode != 0:
        raise SystemExit(f"run failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--train-rows", type=int, default=100_000)
    ap.add_argument("--test-rows", type=int, default=25_000)
    args = ap.parse_args()
    train, test = planted(args.train_rows, args.test_rows)
    dc_python = ensure_deepchecks()
    with tempfile.TemporaryDirectory() as tmp:
        tr_path, te_path = Path(tmp) / "train.parquet", Path(tmp) / "test.parquet"
        train.to_parquet(tr_path)
        test.to_parquet(te_path)
        results = {
            "candor": run(sys.executable, CANDOR_RUN, tr_path, te_path),
            "deepchecks": run(str(dc_python), DEEPCHECKS_RUN, tr_path, te_path),
        }
    print(f"data: {len(train):,} + {len(test):,} rows x {train.shape[1] - 1} columns")
    candor_found = leaks_found(results["candor"]["findings"], len(test))  # type: ignore[arg-type]
    failed = set(results["deepchecks"]["failed_checks"])  # type: ignore[arg-type]
    found = {
        "candor": [k for k, v in candor_found.items() if v],
        "deepchecks": [k for k, check in DEEPCHECKS_FOUND_BY.items() if check in failed],
    }
    print(f"planted: {list(candor_found)}")
    for tool, r in results.items():
        print(f"{tool:10} {r['wall_s']:8.1f} s  peak {r['peak_mb']:8,.0f} MB  found {found[tool]}")
    ratio = results["deepchecks"]["wall_s"] / results["candor"]["wall_s"]  # type: ignore[operator]
    print(f"candor is {ratio:.1f}x faster")


if __name__ == "__main__":
    main()
