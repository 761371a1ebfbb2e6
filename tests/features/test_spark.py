"""The same features on Spark as on DuckDB (one local session shared by the Spark tests)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from tests.features._cases import AS_OF, hand_lake

from wardwatch.features import build_features, load_usecase
from wardwatch.features._spec import default_usecase_path
from wardwatch.quality import open_engine

pytestmark = [pytest.mark.spark, pytest.mark.slow, pytest.mark.xdist_group("spark")]


@pytest.mark.timeout(900)
def test_spark_builds_the_same_feature_set(tmp_path: Path, spark: Any) -> None:
    lake = hand_lake(tmp_path / "lake")
    usecase = load_usecase(default_usecase_path())
    with open_engine("duckdb", lake) as engine:
        expected = build_features(engine, usecase, as_of=AS_OF)
    with open_engine("spark", lake, spark_session=spark) as engine:
        got = build_features(engine, usecase, as_of=AS_OF)
    assert got.engine == "spark"
    assert got.attrition == expected.attrition
    pd.testing.assert_frame_equal(got.frame, expected.frame, check_dtype=False)
    pd.testing.assert_frame_equal(got.source_times, expected.source_times, check_dtype=False)
