"""The audit's checks: a registry. Adding a check is adding one function decorated with ``@check``.

Each check takes the ``AuditInput`` and returns findings; none prints or reads files.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from candor.audit._findings import Finding
from candor.stats import wilson_interval

#: at least this share of test rows (and this many) with a twin in train makes duplicates an error
DUPLICATE_ERROR_SHARE = 0.01
DUPLICATE_ERROR_COUNT = 3
_EXAMPLES = 5


@dataclass(frozen=True)
class AuditInput:
    """Train and test tables with the roles of their columns."""

    train: pd.DataFrame
    test: pd.DataFrame
    target: str
    task: str
    group: str | None = None
    time: str | None = None
    seed: int = 0

    @property
    def features(self) -> list[str]:
        skip = {self.target, self.group, self.time}
        return [c for c in self.train.columns if c not in skip]

    @cached_property
    def row_hashes(self) -> tuple[np.ndarray, np.ndarray]:
        """One 64-bit hash per row of the features, train and test (computed once, shared by checks)."""
        return _row_hashes(self.train[self.features]), _row_hashes(self.test[self.features])


Check = Callable[[AuditInput], list[Finding]]
CHECKS: dict[str, Check] = {}


def check(name: str) -> Callable[[Check], Check]:
    """Register a check under ``name``."""

    def register(fn: Check) -> Check:
        CHECKS[name] = fn
        return fn

    return register


def is_numeric(s: pd.Series) -> bool:
    """Numbers and booleans: compared by value as float64 (so 1, 1.0 and True are one value)."""
    return bool(pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s))


def as_float(s: pd.Series) -> np.ndarray:
    """A numeric column as float64 with NaN for missing values (nullable dtypes included)."""
    return s.to_numpy(dtype="float64", na_value=np.nan)


def factorize_text(s: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Codes (-1 for missing) and the distinct values as strings: text work on distinct values only."""
    codes, uniques = pd.factorize(s)
    return codes, pd.Index(np.asarray(uniques).astype(str), dtype=object)


def _column_hash(s: pd.Series) -> np.ndarray:
    """A 64-bit hash per value that depends on the value only, not on the dtype or the categories."""
    if is_numeric(s):
        return pd.util.hash_array(as_float(s))
    codes, uniques = factorize_text(s)
    # hash the distinct values only; missing values hash like the text "nan"
    table = pd.util.hash_array(np.append(uniques.to_numpy(dtype=object), "nan"))
    return table[codes]  # code -1 picks the last entry, "nan"


def _row_hashes(frame: pd.DataFrame) -> np.ndarray:
    """One 64-bit hash per row: its columns' value hashes combined in column order."""
    h = np.zeros(len(frame), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for col in frame.columns:
            h = h * np.uint64(0x100000001B3) ^ _column_hash(frame[col])
    return h


def _label(v: Any) -> Any:
    return v.item() if hasattr(v, "item") else v


@check("exact_duplicates")
def exact_duplicates(inp: AuditInput) -> list[Finding]:
    """Test rows whose features (and label) also appear in train."""
    h_train, h_test = inp.row_hashes
    first_in_train = pd.Series(np.arange(len(h_train)), index=h_train)
    first_in_train = first_in_train[~first_in_train.index.duplicated()]
    twin = np.isin(h_test, first_in_train.index)
    n = int(twin.sum())
    if n == 0:
        return []
    y_train = inp.train[inp.target].to_numpy()
    y_test = inp.test[inp.target].to_numpy()
    where = first_in_train.loc[h_test[twin]].to_numpy()
    same_label = int(np.sum(y_train[where] == y_test[twin]))
    test_pos = np.flatnonzero(twin)
    examples = tuple(
        {"test_row": _label(inp.test.index[i]), "train_row": _label(inp.train.index[j])}
        for i, j in zip(test_pos[:_EXAMPLES], where[:_EXAMPLES], strict=True)
    )
    share = n / len(h_test)
    return [
        Finding(
            "exact_duplicates",
            "error" if share >= DUPLICATE_ERROR_SHARE and n >= DUPLICATE_ERROR_COUNT else "warning",
            f"Test rows with an identical twin in train ({same_label:,} with the same label too)",
            n,
            len(h_test),
            "test rows",
            "deduplicate before splitting, or split by the entity the copies belong to (`group`)",
            examples,
        )
    ]


@check("label_conflicts")
def label_conflicts(inp: AuditInput) -> list[Finding]:
    """Identical features with different labels, within train and across the split."""
    if inp.task == "regression":
        return []
    y, _ = pd.factorize(pd.concat([inp.train[inp.target], inp.test[inp.target]]))
    both = pd.DataFrame({"h": np.concatenate(inp.row_hashes), "y": y})
    pairs = both.drop_duplicates()  # one row per (features, label)
    conflicted = pairs["h"][pairs["h"].duplicated()].unique()
    if len(conflicted) == 0:
        return []
    rows = int(both["h"].isin(conflicted).sum())
    return [
        Finding(
            "label_conflicts",
            "warning",
            "Rows whose identical features carry different labels",
            rows,
            len(both),
            "rows",
            "check the labelling of these rows; no model can get all of them right",
        )
    ]


#: words in a column name that say it identifies an entity (split on non-letters and camelCase)
ENTITY_WORDS = frozenset(
    [
        "id",
        "ids",
        "uuid",
        "guid",
        "key",
        "customer",
        "user",
        "account",
        "patient",
        "session",
        "device",
        "member",
        "client",
        "subject",
        "household",
        "person",
        "owner",
        "entity",
        "visitor",
    ]
)


def names_an_entity(name: object) -> bool:
    """Whether a column's name says it identifies an entity: ``customer_id``, ``userId``, ``ID``.

    >>> [names_an_entity(n) for n in ["customer_id", "userId", "paid", "amount"]]
    [True, True, False, False]
    """
    words = re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+", str(name))
    return any(w.lower() in ENTITY_WORDS for w in words)


@check("group_leakage")
def group_leakage(inp: AuditInput) -> list[Finding]:
    """The declared group on both sides; undeclared entity-like columns shared across the split."""
    out: list[Finding] = []
    if inp.group is not None:
        shared = set(inp.train[inp.group]) & set(inp.test[inp.group])
        if shared:
            in_test = int(inp.test[inp.group].isin(shared).sum())
            out.append(
                Finding(
                    "group_leakage",
                    "error",
                    f"Values of group {inp.group!r} on both sides of the split ({len(shared):,} groups)",
                    in_test,
                    len(inp.test),
                    "test rows",
                    f"split by `{inp.group}` so that each group lands on one side",
                    tuple({"group": _label(g)} for g in list(shared)[:_EXAMPLES]),
                )
            )
        return out
    for col in inp.features:
        s = inp.train[col]
        if pd.api.types.is_float_dtype(s) or pd.api.types.is_bool_dtype(s):
            continue
        if pd.api.types.is_numeric_dtype(s) and not names_an_entity(col):
            continue  # whole numbers are usually counts or codes of a measure, unless so named
        n_unique = s.nunique()
        # an entity id repeats (several rows per entity) and has many distinct values
        if n_unique < 20 or n_unique >= len(s) or n_unique < 0.05 * len(s):
            continue
        seen = inp.test[col].isin(set(s))
        if seen.mean() >= 0.1:
            out.append(
                Finding(
                    "group_leakage",
                    "warning",
                    f"Column {col!r} looks like an entity id and its values appear on both sides",
                    int(seen.sum()),
                    len(inp.test),
                    "test rows",
                    f'declare `group = "{col}"` in [data] so that an entity never straddles the split',
                )
            )
    return out


@check("temporal_leakage")
def temporal_leakage(inp: AuditInput) -> list[Finding]:
    """With ``time``: test rows dated before the latest training row; timestamps in the future."""
    if inp.time is None:
        return []
    out: list[Finding] = []
    t_train, t_test = inp.train[inp.time], inp.test[inp.time]
    latest = t_train.max()
    early = t_test < latest
    if early.any():
        out.append(
            Finding(
                "temporal_leakage",
                "error",
                f"Test rows dated before the latest training row ({latest})",
                int(early.sum()),
                len(t_test),
                "test rows",
                f"split by `{inp.time}`: train on the past, test on what came after",
                tuple({"test_row": _label(i)} for i in t_test.index[early.to_numpy()][:_EXAMPLES]),
            )
        )
    if pd.api.types.is_datetime64_any_dtype(t_train):
        now = pd.Timestamp.now(tz=t_train.dt.tz)
        future = int((t_train > now).sum() + (t_test > now).sum())
        if future:
            out.append(
                Finding(
                    "temporal_leakage",
                    "warning",
                    "Rows dated in the future",
                    future,
                    len(t_train) + len(t_test),
                    "rows",
                    "check the time zone and the source of these timestamps",
                )
            )
    return out


#: training rows sampled to screen columns for near-constant and unique values
HYGIENE_SAMPLE_ROWS = 20_000


@check("hygiene")
def hygiene(inp: AuditInput) -> list[Finding]:
    """Constant and ID-like columns, class imbalance, a test set too small to measure much."""
    out: list[Finding] = []
    n = len(inp.train)
    # Counting every value of every column of a million rows is the slow part of this check, so a
    # seeded sample screens first: a column whose top value holds under 99% of the sample cannot
    # hold 99.9% of all rows, and a column with a repeat in the sample is not unique per row.
    sample = inp.train.sample(min(n, HYGIENE_SAMPLE_ROWS), random_state=inp.seed)
    for col in inp.features:
        s = inp.train[col]
        if s.isna().all():
            out.append(
                Finding(
                    "hygiene",
                    "warning",
                    f"Column {col!r} is entirely missing",
                    n,
                    n,
                    "training rows",
                    f"drop `{col}`",
                )
            )
            continue
        if not is_numeric(s) and not isinstance(s.dtype, pd.CategoricalDtype):
            # numbers among text: Python objects of both kinds, or text that mostly parses
            values = sample[col].dropna().head(2000)
            kinds = {type(v).__name__ for v in values}
            parses = float(pd.to_numeric(values.astype(str), errors="coerce").notna().mean() or 0)
            mixed = bool(kinds & {"int", "float"}) and "str" in kinds
            if mixed or 0.05 <= parses <= 0.95:
                shown = f"{parses:.0%} of the sampled values read as numbers"
                out.append(
                    Finding(
                        "hygiene",
                        "warning",
                        f"Column {col!r} mixes numbers and text ({shown})",
                        n,
                        n,
                        "training rows",
                        f"give `{col}` one type: parse the numbers, or treat it all as text",
                    )
                )
        screen = sample[col].value_counts(dropna=False)
        top = screen.iloc[0] / len(sample)
        if top >= 0.99:  # a candidate: count exactly
            top = s.value_counts(dropna=False).iloc[0] / n
        unique_in_sample = len(screen) == len(sample)
        if top >= 1.0:
            out.append(
                Finding(
                    "hygiene",
                    "warning",
                    f"Column {col!r} is constant",
                    n,
                    n,
                    "training rows",
                    f"drop `{col}`: it carries no information",
                )
            )
        elif top >= 0.999:
            out.append(
                Finding(
                    "hygiene",
                    "info",
                    f"Column {col!r} is nearly constant",
                    int(top * n),
                    n,
                    "training rows",
                    f"consider dropping `{col}`",
                )
            )
        elif (
            not pd.api.types.is_float_dtype(s)
            and unique_in_sample
            and n >= 20
            and s.nunique(dropna=False) == n
        ):
            out.append(
                Finding(
                    "hygiene",
                    "warning",
                    f"Column {col!r} is unique per row, like an ID",
                    n,
                    n,
                    "training rows",
                    f"drop `{col}` from the features: a model can only memorise it",
                )
            )
    n_test = len(inp.test)
    if inp.task != "regression" and n_test:
        y = inp.test[inp.target]
        counts = y.value_counts()
        majority = wilson_interval(int(counts.iloc[0]), n_test)
        out.append(
            Finding(
                "hygiene",
                "info",
                f"Always predicting the majority class {_label(counts.index[0])!r} scores accuracy {majority.format()} "
                f"(Wilson 95%): any model must beat that, not 0.5",
                int(counts.iloc[0]),
                n_test,
                "test rows",
                "report balanced accuracy, ROC AUC or the business cost next to accuracy",
            )
        )
        worst = wilson_interval(n_test // 2, n_test)
        severity = "warning" if n_test < 100 else "info"
        out.append(
            Finding(
                "hygiene",
                severity,  # type: ignore[arg-type]
                f"The test set measures accuracy to ±{worst.half_width:.3f} or better (Wilson 95% at 50%, the widest case)",
                n_test,
                n_test,
                "test rows",
                "a larger test set narrows every interval; differences smaller than this are noise",
            )
        )
    return out
