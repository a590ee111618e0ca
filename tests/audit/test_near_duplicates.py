"""Near copies across the split: a few changed pixels, rounding, case and whitespace."""

from __future__ import annotations

import numpy as np
import pandas as pd

from candor.audit import audit
from candor.data import load_dataset, split_dataset


def _digits() -> tuple[pd.DataFrame, pd.DataFrame]:
    ds = load_dataset("sklearn:digits")
    split = split_dataset(ds, seed=0)
    return ds.frame.iloc[split.train].copy(), ds.frame.iloc[split.test].copy()


def _near(report) -> list:  # type: ignore[no-untyped-def]
    return [f for f in report.findings if f.check == "near_duplicates"]


def test_clean_digits_have_no_near_duplicates() -> None:
    train, test = _digits()
    assert _near(audit(train, test, "target", checks=["near_duplicates"])) == []


def test_images_that_differ_by_a_few_pixels_are_found() -> None:
    train, test = _digits()
    rng = np.random.default_rng(0)
    planted = train.iloc[:40].copy()
    pixels = [c for c in planted.columns if c != "target"]
    for i in range(len(planted)):
        # three pixels brightened by 4 (of 16): a different file, the same image
        cols = rng.choice(pixels, 3, replace=False)
        planted.iloc[i, [planted.columns.get_loc(c) for c in cols]] = (
            planted.iloc[i][cols].clip(upper=12).to_numpy() + 4
        )
    test.iloc[:40] = planted.to_numpy()
    found = _near(audit(train, test, "target", checks=["near_duplicates"]))
    assert found and found[0].severity == "error"
    assert found[0].count == 40
    assert found[0].examples[0]["cells_differing"] <= 3


def test_rounding_case_and_whitespace_do_not_hide_a_copy() -> None:
    rng = np.random.default_rng(1)
    n = 400
    frame = pd.DataFrame(
        {
            "income": rng.lognormal(10, 1, n),
            "age": rng.integers(18, 90, n).astype(float),
            "city": rng.choice(["Paris", "Lyon", "Nantes", "Lille"], n),
            "y": rng.integers(0, 2, n),
        }
    )
    train, test = frame.iloc[:300].copy(), frame.iloc[300:].copy()
    copies = train.iloc[:10].copy()
    copies["income"] = copies["income"].round(-1)  # rounded to tens
    copies["city"] = "  " + copies["city"].str.upper() + " "
    test.iloc[:10] = copies.to_numpy()
    test["income"] = test["income"].astype(float)
    found = _near(audit(train, test, "y", checks=["near_duplicates"]))
    assert found and found[0].count == 10
    # the unmodified rest of the table raises nothing
    assert _near(audit(train, frame.iloc[300:], "y", checks=["near_duplicates"])) == []


def test_a_whole_row_scaled_by_one_factor_is_a_near_copy() -> None:
    """A change of units (all amounts in cents) or a brighter image keeps the row's direction."""
    train, test = _digits()
    pixels = [c for c in train.columns if c != "target"]
    copies = train.iloc[:30].copy()
    copies[pixels] = copies[pixels] * 0.5  # the same images at half the intensity
    test.iloc[:30] = copies.to_numpy()
    found = _near(audit(train, test, "target", checks=["near_duplicates"]))
    assert found and found[0].severity == "error"
    assert found[0].count == 30
    assert found[0].examples[0]["scaled_by"] == 0.5


def test_rows_that_merely_point_the_same_way_with_one_numeric_column_are_not_copies() -> None:
    """With a single numeric column every positive row has the same direction: no scaling search."""
    rng = np.random.default_rng(4)
    n = 500
    frame = pd.DataFrame(
        {
            "amount": rng.lognormal(3, 1, n),
            "city": rng.choice([f"city {i}" for i in range(40)], n),
            "plan": rng.choice([f"plan {i}" for i in range(20)], n),
            "y": rng.integers(0, 2, n),
        }
    )
    train, test = frame.iloc[:400], frame.iloc[400:]
    assert _near(audit(train, test, "y", checks=["near_duplicates"])) == []


def test_an_all_missing_column_does_not_confirm_a_scaling_factor() -> None:
    """Two numbers with the same ratio and the same text, plus a column with no values at all: the
    empty column agrees with everything, so it must not count as a third number."""
    rng = np.random.default_rng(5)
    n = 400
    frame = pd.DataFrame(
        {
            "x1": rng.uniform(1, 100, n),
            "x2": rng.uniform(1, 100, n),
            "empty": np.full(n, np.nan),
            "kind": rng.choice(["a", "b", "c"], n),
            "y": rng.integers(0, 2, n),
        }
    )
    train, test = frame.iloc[:300].copy(), frame.iloc[300:].copy()
    test.iloc[0, :2] = train.iloc[0, :2].to_numpy() * 12.15  # same ratio, same text, by chance
    test.iloc[0, 3] = train.iloc[0, 3]
    found = _near(audit(train, test, "y", checks=["near_duplicates"]))
    assert not any("scaled_by" in e for f in found for e in f.examples)


def test_amounts_in_other_units_with_an_unscaled_flag_are_still_near_copies() -> None:
    """Every amount x100 (cents), but a 0/1 flag in the row left as it was: one cell differs."""
    rng = np.random.default_rng(5)
    n = 2000
    frame = pd.DataFrame({f"amount{i}": rng.gamma(2, 50, n) for i in range(24)})
    frame["flag"] = rng.integers(0, 2, n)
    frame["y"] = rng.integers(0, 2, n)
    train, test = frame.iloc[:1500].copy(), frame.iloc[1500:].copy()
    copies = train.iloc[:20].copy()
    copies["flag"] = 1  # the flag is on in every copy: that cell is never scaled
    amounts = [c for c in copies.columns if c.startswith("amount")]
    copies[amounts] = copies[amounts] * 100
    test.iloc[:20] = copies.to_numpy()
    found = _near(audit(train, test, "y", checks=["near_duplicates"]))
    assert found and found[0].count == 20
    assert all(e["scaled_by"] == 100 for e in found[0].examples)
