"""Input checks: one-line errors naming the argument, what was expected and what was found."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from wardwatch.errors import InputError
from wardwatch.evaluate import evaluate_predictions
from wardwatch.evaluate._inputs import MISSING_LEVEL, prepare

Y = [0, 1, 0, 1]
P = [0.1, 0.8, 0.3, 0.6]
IDS = ["MRN-SECRET-1", "MRN-SECRET-2", "MRN-SECRET-1", "MRN-SECRET-3"]


@pytest.mark.parametrize(
    ("kwargs", "field", "text"),
    [
        ({"y_prob": [0.1, 1.2, 0.3, 0.5]}, "y_prob", "probabilities outside [0, 1]"),
        ({"y_prob": [0.1, np.nan, 0.3, 0.5]}, "y_prob", "must be finite"),
        ({"y_prob": [0.1, 0.2, 0.3]}, "y_prob", "length does not match"),
        ({"y_true": [0, 2, 0, 1]}, "y_true", "labels must be 0 or 1"),
        ({"y_true": ["no", "yes", "no", "yes"]}, "y_true", "labels must be 0 or 1"),
        ({"y_true": []}, "y_true", "no predictions"),
        ({"patient_ids": ["a", None, "b", "c"]}, "patient_ids", "must not be missing"),
        ({"patient_ids": ["a", "b"]}, "patient_ids", "length does not match"),
        (
            {"index_times": ["2026-01-01", None, "2026-02-01", "2026-03-01"]},
            "index_times",
            "missing",
        ),
        ({"index_times": ["2026-01-01", "soon", "x", "y"]}, "index_times", "cannot read"),
        ({"subgroups": {"sex": ["F", "M"]}}, "subgroups['sex']", "length does not match"),
        ({"subgroups": {"": ["F"] * 4}}, "subgroups", "non-empty strings"),
        ({"subgroups": ["F"] * 4}, "subgroups", "must be a mapping"),
    ],
)
def test_bad_input_is_one_line(kwargs: dict, field: str, text: str) -> None:
    args = {"y_true": Y, "y_prob": P, "patient_ids": IDS, **kwargs}
    with pytest.raises(InputError) as err:
        evaluate_predictions(
            args.pop("y_true"), args.pop("y_prob"), config={"n_bootstrap": 0}, **args
        )
    message = str(err.value)
    assert "\n" not in message
    assert f"field {field}" in message
    assert text in message
    assert "SECRET" not in message  # errors name positions, never patient ids


def test_positions_are_named() -> None:
    with pytest.raises(InputError, match=r"1\.2: 1 at positions 1"):
        prepare(Y, [0.1, 1.2, 0.3, 0.5], IDS)


def test_too_many_levels_looks_like_an_identifier() -> None:
    n = 300
    with pytest.raises(InputError, match="too many levels"):
        prepare([0, 1] * (n // 2), [0.5] * n, list(range(n)), subgroups={"id": list(range(n))})


def test_encoding() -> None:
    times = pd.to_datetime(["2026-03-05", "2026-01-31", "2026-03-01", "2026-01-01"], utc=True)
    prep = prepare(
        np.array([False, True, False, True]),
        np.array(P),
        IDS,
        index_times=pd.Series(times),
        subgroups={"sex": ["M", None, "F", "M"]},
    )
    assert prep.y.tolist() == [0, 1, 0, 1]
    assert prep.n_patients == 3
    assert prep.patient[0] == prep.patient[2]
    assert prep.months is not None
    assert prep.months.labels == ["2026-01", "2026-03"]
    assert prep.months.codes.tolist() == [1, 0, 1, 0]
    assert prep.span_days == pytest.approx(63.0)
    sex = prep.subgroups[0]
    assert sex.labels == ["F", "M", MISSING_LEVEL]
    assert sex.codes.tolist() == [1, 2, 0, 1]
