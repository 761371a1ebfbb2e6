"""Parsing of --defects and --drift specs, and config validation."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from wardwatch.errors import ConfigError
from wardwatch.synth import DEFECT_CLASSES, SynthConfig, parse_defects, parse_drift


def test_defect_pairs_all_and_yaml(tmp_path: Path) -> None:
    assert parse_defects("missing-required=0.01, unit-switch=0.02") == {
        "missing-required": 0.01,
        "unit-switch": 0.02,
    }
    assert parse_defects("all=0.05") == dict.fromkeys(DEFECT_CLASSES, 0.05)
    assert parse_defects("all=0.05,wrong-type=0")["missing-required"] == 0.05
    path = tmp_path / "defects.yaml"
    path.write_text("malformed-json: 0.1\nduplicate-event: 0.2\n")
    assert parse_defects(str(path)) == {"malformed-json": 0.1, "duplicate-event": 0.2}
    assert parse_defects(None) == {}


@pytest.mark.parametrize(
    ("spec", "token"),
    [
        ("missing=0.1", "missing=0.1"),
        ("unit-switch=2", "unit-switch=2"),
        ("unit-switch", "unit-switch"),
        ("all=x", "all=x"),
    ],
)
def test_bad_defect_specs_name_the_token(spec: str, token: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_defects(spec)
    message = str(err.value)
    assert token in message
    assert "\n" not in message
    if spec.startswith("missing="):
        assert "missing-required" in message  # the allowed classes are listed


def test_drift_specs() -> None:
    events = parse_drift("age-mix@2024-01-01:2.5,unit-switch@2023-06-01:LMC,new-site@2022-02-02")
    assert [(e.kind, e.start, e.param) for e in events] == [
        ("age-mix", date(2024, 1, 1), "2.5"),
        ("unit-switch", date(2023, 6, 1), "LMC"),
        ("new-site", date(2022, 2, 2), "0.5"),
    ]
    assert events[0].to_dict()["description"]


@pytest.mark.parametrize(
    "spec",
    [
        "age-mix",
        "foo@2024-01-01",
        "age-mix@2024-13-01",
        "age-mix@2024-01-01:x",
        "unit-switch@2024-01-01:XYZ",
        "new-site@2024-01-01:2",
        "label-rate@2024-01-01,label-rate@2024-02-01",
    ],
)
def test_bad_drift_specs(spec: str) -> None:
    with pytest.raises(ConfigError):
        parse_drift(spec)


def test_config_validation(tmp_path: Path) -> None:
    bad = [
        SynthConfig(patients=0, out=tmp_path),
        SynthConfig(format="xml", out=tmp_path),
        SynthConfig(start="2020-01-01", end="2019-01-01", out=tmp_path),
        SynthConfig(format="bundle", defects="all=0.1", out=tmp_path),
        SynthConfig(drift="age-mix@2030-01-01", out=tmp_path),
        SynthConfig(start="1999-01-01", out=tmp_path),
    ]
    for config in bad:
        with pytest.raises(ConfigError):
            config.validated()
