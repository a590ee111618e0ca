"""Loading tables: CSV, Parquet, bundled sets, and a DataError with a hint for each unusable input."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from candor.data import BUNDLED, load_dataset, read_table
from candor.errors import DataError


@pytest.fixture
def customers() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 60
    return pd.DataFrame(
        {
            "customer_id": np.repeat(np.arange(20), 3),
            "tenure": rng.integers(1, 60, n),
            "spend": rng.normal(50, 10, n).round(2),
            "plan": rng.choice(["basic", "pro"], n),
            "signup": pd.date_range("2024-01-01", periods=n, freq="D").strftime("%Y-%m-%d"),
            "churned": rng.integers(0, 2, n),
        }
    )


def test_csv_and_parquet_with_the_same_table_load_alike(
    tmp_path: Path, customers: pd.DataFrame
) -> None:
    customers.to_csv(tmp_path / "customers.csv", index=False)
    customers.to_parquet(tmp_path / "customers.parquet", index=False)
    from_csv = load_dataset("customers.csv", "churned", base_dir=tmp_path)
    from_parquet = load_dataset("customers.parquet", "churned", base_dir=tmp_path)
    pd.testing.assert_frame_equal(from_csv.frame, from_parquet.frame)
    assert from_csv.content_hash == from_parquet.content_hash
    assert (from_csv.task, from_csv.n_rows, from_csv.target) == ("binary", 60, "churned")
    assert from_csv.source == "customers.csv"


def test_dataset_features_leave_out_target_group_and_time(
    tmp_path: Path, customers: pd.DataFrame
) -> None:
    customers.to_csv(tmp_path / "customers.csv", index=False)
    ds = load_dataset(
        "customers.csv", "churned", base_dir=tmp_path, group="customer_id", time="signup"
    )
    assert ds.features == ["tenure", "spend", "plan"]
    assert list(ds.X.columns) == ds.features
    assert ds.y.name == "churned"


def test_time_column_of_date_strings_becomes_datetime(
    tmp_path: Path, customers: pd.DataFrame
) -> None:
    customers.to_csv(tmp_path / "customers.csv", index=False)
    ds = load_dataset("customers.csv", "churned", base_dir=tmp_path, time="signup")
    assert pd.api.types.is_datetime64_any_dtype(ds.frame["signup"])


def test_read_table_reads_tab_separated_files(tmp_path: Path) -> None:
    (tmp_path / "t.tsv").write_text("a\tb\n1\tx\n2\ty\n", encoding="utf-8")
    assert list(read_table("t.tsv", tmp_path).columns) == ["a", "b"]


@pytest.mark.parametrize(
    ("name", "task", "n_rows", "n_classes"),
    [
        ("sklearn:breast_cancer", "binary", 569, 2),
        ("sklearn:iris", "multiclass", 150, 3),
        ("sklearn:wine", "multiclass", 178, 3),
        ("sklearn:digits", "multiclass", 1797, 10),
        ("sklearn:diabetes", "regression", 442, None),
    ],
)
def test_bundled_sets_load_by_name(
    name: str, task: str, n_rows: int, n_classes: int | None
) -> None:
    ds = load_dataset(name)
    assert (ds.task, ds.n_rows, ds.target, ds.source) == (task, n_rows, "target", name)
    if n_classes is not None:
        assert ds.y.nunique() == n_classes
    assert len(ds.features) == ds.frame.shape[1] - 1


def test_bundled_class_labels_are_readable_names() -> None:
    assert set(load_dataset("sklearn:breast_cancer").y) == {"malignant", "benign"}
    assert set(load_dataset("sklearn:iris").y) == {"setosa", "versicolor", "virginica"}


def test_unknown_bundled_set_lists_the_available_ones() -> None:
    with pytest.raises(DataError) as info:
        load_dataset("sklearn:titanic")
    assert "'sklearn:titanic'" in str(info.value)
    assert all(name in str(info.value) for name in BUNDLED)


def _write(name: str, content: str | bytes) -> Callable[[Path], None]:
    def write(folder: Path) -> None:
        data = content.encode() if isinstance(content, str) else content
        (folder / name).write_bytes(data)

    return write


@pytest.mark.parametrize(
    ("write", "source", "target", "expected"),
    [
        (_write("other.csv", "a,y\n1,0\n"), "missing.csv", "y", ["missing.csv", "does not exist"]),
        (_write("t.csv", "a,label\n1,0\n2,1\n"), "t.csv", "lable", ["'lable'", "'label'"]),
        (_write("t.csv", "a,y\n"), "t.csv", "y", ["t.csv has no rows"]),
        (_write("t.csv", ""), "t.csv", "y", ["could not read", "t.csv"]),
        (_write("t.csv", "a,y\n1,1\n2,1\n3,1\n"), "t.csv", "y", ["single class"]),
        (_write("t.csv", "a,y\n1,1\n2,\n3,0\n"), "t.csv", "y", ["1 missing values", "'y'"]),
        (_write("t.csv", "y\n1\n0\n"), "t.csv", "y", ["only the target column"]),
        (_write("t.xlsx", "not a table"), "t.xlsx", "y", ["unsupported file type '.xlsx'"]),
        (_write("t.csv", "a,y\n1,0\n2,1,3,4\n"), "t.csv", "y", ["could not read", "t.csv"]),
        (_write("t.csv", b"\xff\xfe\x00\x81,\n"), "t.csv", "y", ["could not read", "t.csv"]),
        (_write("t.parquet", "PAR? no"), "t.parquet", "y", ["could not read", "parquet"]),
        (_write("t.csv", "a,y\n1,0\n2,1\n"), "t.csv", None, ["name the target column"]),
    ],
    ids=[
        "missing-file",
        "missing-target-column",
        "header-only",
        "zero-bytes",
        "one-class",
        "nan-in-target",
        "only-target",
        "unsupported-extension",
        "ragged-csv",
        "binary-csv",
        "malformed-parquet",
        "no-target-named",
    ],
)
def test_unusable_input_is_a_data_error_with_a_hint(
    tmp_path: Path,
    write: Callable[[Path], None],
    source: str,
    target: str | None,
    expected: list[str],
) -> None:
    write(tmp_path)
    with pytest.raises(DataError) as info:
        load_dataset(source, target, base_dir=tmp_path)
    for fragment in expected:
        assert fragment in str(info.value)


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"group": "customer"}, ["group column 'customer'", "'customer_id'"]),
        ({"time": "signed"}, ["time column 'signed'", "'signup'"]),
        pytest.param(
            {"time": "plan"},
            ["time column 'plan'", "not a date or number"],
            marks=pytest.mark.filterwarnings("ignore:Could not infer format"),
        ),
        ({"task": "ranking"}, ["unknown task 'ranking'", "regression"]),
    ],
)
def test_bad_roles_are_data_errors_that_name_the_column(
    tmp_path: Path, customers: pd.DataFrame, kwargs: dict[str, str], expected: list[str]
) -> None:
    customers.to_csv(tmp_path / "customers.csv", index=False)
    with pytest.raises(DataError) as info:
        load_dataset("customers.csv", "churned", base_dir=tmp_path, **kwargs)
    for fragment in expected:
        assert fragment in str(info.value)


def test_missing_target_in_a_bundled_set_suggests_the_real_one() -> None:
    with pytest.raises(DataError, match="Did you mean 'target'"):
        load_dataset("sklearn:iris", "targets")


def test_inferred_task_can_be_overridden(tmp_path: Path) -> None:
    pd.DataFrame({"x": range(12), "stars": [1, 2, 3, 4, 5, 1] * 2}).to_csv(
        tmp_path / "r.csv", index=False
    )
    assert load_dataset("r.csv", "stars", base_dir=tmp_path).task == "multiclass"
    assert load_dataset("r.csv", "stars", base_dir=tmp_path, task="regression").task == "regression"


def test_constant_target_is_allowed_for_regression_but_not_for_classes(tmp_path: Path) -> None:
    pd.DataFrame({"x": [1, 2, 3], "y": [5, 5, 5]}).to_csv(tmp_path / "c.csv", index=False)
    assert load_dataset("c.csv", "y", base_dir=tmp_path, task="regression").task == "regression"
    with pytest.raises(DataError, match="single class"):
        load_dataset("c.csv", "y", base_dir=tmp_path, task="multiclass")


def test_relative_sources_are_read_from_base_dir_not_the_current_folder(
    tmp_path: Path, customers: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "project" / "data").mkdir(parents=True)
    (tmp_path / "elsewhere").mkdir()
    customers.to_csv(tmp_path / "project" / "data" / "c.csv", index=False)
    monkeypatch.chdir(tmp_path / "elsewhere")
    ds = load_dataset("data/c.csv", "churned", base_dir=tmp_path / "project")
    assert ds.n_rows == 60


def test_a_wide_table_missing_its_target_lists_twenty_columns_and_counts_the_rest(
    tmp_path: Path,
) -> None:
    wide = pd.DataFrame(np.zeros((3, 31)), columns=[f"x{i}" for i in range(30)] + ["target"])
    wide.to_csv(tmp_path / "wide.csv", index=False)
    with pytest.raises(DataError) as info:
        load_dataset("wide.csv", "label", base_dir=tmp_path)
    said = str(info.value)
    assert "x19" in said and "x20," not in said
    assert "and 11 more (the last: target)" in said
