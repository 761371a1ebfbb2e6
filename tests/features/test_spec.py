"""Use-case specs: the shipped example loads; every error is one line naming the key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from wardwatch.errors import ConfigError
from wardwatch.features import load_usecase, parse_usecase
from wardwatch.features._spec import default_usecase_path

REPO_EXAMPLE = Path(__file__).parents[2] / "usecases" / "readmission.yaml"


def _base() -> dict[str, Any]:
    return {
        "name": "x",
        "features": [{"name": "age", "kind": "demographic", "field": "age"}],
        "models": [{"name": "lr", "family": "logistic_regression"}],
    }


def test_the_shipped_example_is_the_packaged_default() -> None:
    assert REPO_EXAMPLE.read_text() == default_usecase_path().read_text()
    u = load_usecase(REPO_EXAMPLE)
    assert u.name == "readmission-30d"
    assert u.label.window_days == 30
    assert {m.family for m in u.models} == {"logistic_regression", "lightgbm"}
    assert u.subgroups == ["age_band", "sex", "race", "ethnicity", "site", "payer"]
    assert {f.kind for f in u.features} >= {"demographic", "comorbidity", "lab", "utilization"}


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"cohort": {"min_age": -1}}, "cohort.min_age"),
        ({"cohort": {"exclude": ["teenagers"]}}, "cohort.exclude.0"),
        ({"label": {"window_days": 0}}, "label.window_days"),
        ({"colour": "red"}, "colour"),
        ({"split": {"train": 0.5, "test": 0.2}}, "add up to 1"),
        ({"features": [{"name": "x", "kind": "lab"}]}, "needs code"),
        ({"features": [{"name": "x", "kind": "stay", "field": "bed"}]}, "los_days"),
        ({"features": [{"name": "Bad Name", "kind": "demographic", "field": "age"}]}, "name"),
        ({"models": [{"name": "m", "family": "random_forest"}]}, "models.0.family"),
        (
            {"models": [{"name": "m", "family": "lightgbm"}, {"name": "m", "family": "lightgbm"}]},
            "used twice",
        ),
    ],
)
def test_errors_name_the_key(change: dict[str, Any], needle: str) -> None:
    data = _base() | change
    with pytest.raises(ConfigError) as exc:
        parse_usecase(data, "spec.yaml")
    text = str(exc.value)
    assert "\n" not in text
    assert text.startswith("spec.yaml: invalid use case")
    assert needle in text


def test_file_errors_are_one_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read use case"):
        load_usecase(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML at line"):
        load_usecase(bad)
    scalar = tmp_path / "scalar.yaml"
    scalar.write_text(yaml.safe_dump("just text"))
    with pytest.raises(ConfigError, match="a use case is a mapping"):
        load_usecase(scalar)
