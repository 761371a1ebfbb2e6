"""The evaluation config: safe defaults, one-line errors."""

from __future__ import annotations

import pytest

from wardwatch.errors import ConfigError
from wardwatch.evaluate import EvaluationConfig, evaluation_config


def test_defaults() -> None:
    cfg = EvaluationConfig()
    assert cfg.n_bootstrap == 1000
    assert cfg.seed == 0
    assert cfg.ci_level == 0.95
    assert cfg.min_group_size == 11
    assert cfg.threshold_grid[0] == 0.05
    assert cfg.threshold_grid[-1] == 0.95
    assert len(cfg.threshold_grid) == 19
    assert cfg.decision_thresholds == tuple(i / 100 for i in range(1, 51))
    assert [p.metric for p in cfg.policies] == ["sensitivity", "ppv", "flag_rate"]
    assert evaluation_config(None) == cfg
    assert evaluation_config(cfg) is cfg


def test_mapping_is_validated() -> None:
    cfg = evaluation_config(
        {
            "n_bootstrap": 200,
            "threshold_grid": [0.3, 0.1, 0.1],
            "policies": [{"name": "catch 90%", "metric": "sensitivity", "at_least": 0.9}],
        }
    )
    assert cfg.threshold_grid == (0.1, 0.3)  # sorted, unique
    assert cfg.policies[0].rule == "sensitivity ≥ 0.9"


@pytest.mark.parametrize(
    ("data", "field", "text"),
    [
        ({"n_bootstrap": -1}, "n_bootstrap", "greater than or equal to 0"),
        ({"bootstraps": 10}, "bootstraps", "Extra inputs are not permitted"),
        ({"threshold_grid": [0.0, 0.5]}, "threshold_grid", "strictly between 0 and 1"),
        ({"ci_level": 1.5}, "ci_level", "less than 1"),
        (
            {"policies": [{"name": "x", "metric": "ppv", "at_least": 0.2, "at_most": 0.5}]},
            "policies.0",
            "exactly one of at_least or at_most",
        ),
        (
            {"policies": [{"name": "x", "metric": "auroc", "at_least": 0.2}]},
            "policies.0.metric",
            "sensitivity",
        ),
        (
            {
                "policies": [
                    {"name": "x", "metric": "ppv", "at_least": 0.2},
                    {"name": "x", "metric": "npv", "at_least": 0.9},
                ]
            },
            "policies",
            "unique",
        ),
        ({"disparity_bounds": [1.2, 0.8]}, "disparity_bounds", "0 < low < 1 < high"),
    ],
)
def test_bad_config_is_one_line_naming_the_field(data: dict, field: str, text: str) -> None:
    with pytest.raises(ConfigError) as err:
        evaluation_config(data)
    message = str(err.value)
    assert "\n" not in message
    assert f"field {field}" in message
    assert text in message


def test_not_a_mapping() -> None:
    with pytest.raises(ConfigError, match="must be a mapping"):
        evaluation_config([1, 2])  # type: ignore[arg-type]
