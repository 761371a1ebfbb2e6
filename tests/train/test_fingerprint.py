"""Dataset fingerprint, code version and environment."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from tests.train._data import make_frame

from wardwatch.errors import InputError
from wardwatch.train import (
    code_version,
    dataset_fingerprint,
    environment,
    provenance_sha256,
    table_sha256,
)


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return make_frame(200, seed=9)[0]


def test_row_and_column_order_do_not_change_the_hash(frame) -> None:
    base = table_sha256(frame)
    assert re.fullmatch(r"[0-9a-f]{64}", base)
    assert table_sha256(frame.sample(frac=1.0, random_state=1)) == base
    assert table_sha256(frame.sample(frac=1.0, random_state=2).reset_index(drop=True)) == base
    assert table_sha256(frame[list(reversed(frame.columns))]) == base
    # storage width is not content
    assert table_sha256(frame.astype({"label": "int32"})) == base


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("age", 99.0),
        ("sodium_last", 1.0),  # NaN -> a value
        ("sex", "other"),
        ("disposition", None),
        ("label", 1),
        ("index_time", pd.Timestamp("2030-01-01", tz="UTC")),
    ],
)
def test_one_changed_value_changes_the_hash(frame, column, value) -> None:
    changed = frame.copy()
    row = changed.index[changed["sodium_last"].isna()][0]
    if changed.at[row, column] == value:
        row = changed.index[1]
    changed.at[row, column] = value
    assert table_sha256(changed) != table_sha256(frame)


def test_renamed_column_and_missing_versus_text_change_the_hash(frame) -> None:
    assert table_sha256(frame.rename(columns={"age": "age_years"})) != table_sha256(frame)
    a = frame.assign(sex=None)
    b = frame.assign(sex="None")
    assert table_sha256(a) != table_sha256(b)


def test_duplicate_key_cannot_be_fingerprinted(frame) -> None:
    dup = pd.concat([frame, frame.head(1)])
    with pytest.raises(InputError, match="key is not unique"):
        table_sha256(dup)


def test_provenance_and_dataset_fingerprint(frame) -> None:
    prov = {"encounters.ndjson": "aa" * 32, "labs.csv": "bb" * 32}
    reordered = dict(reversed(list(prov.items())))
    assert provenance_sha256(prov) == provenance_sha256(reordered)
    assert provenance_sha256(None) is None
    assert provenance_sha256("abc") == hashlib.sha256(b"abc").hexdigest()
    fp = dataset_fingerprint(frame, prov)
    other = dataset_fingerprint(frame, {**prov, "labs.csv": "cc" * 32})
    assert fp.table_sha256 == other.table_sha256
    assert fp.sha256 != other.sha256
    assert dataset_fingerprint(frame, None).provenance_sha256 is None
    assert fp.to_dict()["rows"] == len(frame)
    assert fp == dataset_fingerprint(frame.sample(frac=1.0, random_state=3), reordered)


def test_code_version_of_this_checkout() -> None:
    code = code_version()
    if code.source == "git":
        assert re.fullmatch(r"[0-9a-f]{40}", code.version)
        assert isinstance(code.dirty, bool)
    else:
        assert code.version == code.package_version


def test_code_version_off_git_is_the_package_version(tmp_path: Path) -> None:
    code = code_version(package_dir=tmp_path)
    assert code.source == "package"
    assert code.dirty is None
    assert code.version == code.package_version


def test_environment_names_the_libraries() -> None:
    env = environment()
    assert env["python"].count(".") == 2
    for name in ("numpy", "pandas", "scikit-learn", "lightgbm", "mlflow"):
        assert env["packages"][name]
    assert np.__version__ == env["packages"]["numpy"]
