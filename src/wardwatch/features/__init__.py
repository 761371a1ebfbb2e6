"""Cohorts, point-in-time features and the leakage audit of a prediction use case.

A use case (YAML, :func:`load_usecase`) declares the cohort, the label, the prediction time
and the features. :func:`build_features` turns the canonical tables of a lake into one row per
index event with as-of semantics (a feature only sees rows recorded at or before the
prediction time), on DuckDB or Spark through the same Ibis code; :func:`audit_features`
proves it.
"""

from wardwatch.features._audit import FeatureAudit, LeakageReport, audit_features
from wardwatch.features._build import FeatureSet, build_features, featureset_dir, lake_provenance
from wardwatch.features._cohort import Attrition
from wardwatch.features._serving import (
    FhirFeatures,
    features_from_fhir,
    flatten_resources,
    prepare_features,
)
from wardwatch.features._spec import (
    CalibrationSpec,
    CohortSpec,
    FeatureSpec,
    LabelSpec,
    ModelSpec,
    SplitSpec,
    UseCase,
    default_usecase_path,
    load_usecase,
    parse_usecase,
)

__all__ = [
    "Attrition",
    "CalibrationSpec",
    "CohortSpec",
    "FeatureAudit",
    "FeatureSet",
    "FeatureSpec",
    "FhirFeatures",
    "LabelSpec",
    "LeakageReport",
    "ModelSpec",
    "SplitSpec",
    "UseCase",
    "audit_features",
    "build_features",
    "default_usecase_path",
    "features_from_fhir",
    "featureset_dir",
    "flatten_resources",
    "lake_provenance",
    "load_usecase",
    "parse_usecase",
    "prepare_features",
]
