"""The scoring service: inference core (load, validate, predict, explain) and its API.

    from wardwatch.serve import ServeSettings, build_app
    app = build_app(ws, ServeSettings(models=("readmission-30d",)))   # a FastAPI app

:class:`Scorer` compiles a trained pipeline into exact NumPy/LightGBM scoring with
per-feature contributions; :func:`load_version` turns a registry version into a
:class:`ServedModel` (threshold, risk bands, factors in clinical words); :class:`ModelHub`
follows the registry's ``champion``/``challenger`` aliases; :class:`Service` authorizes,
routes, scores and queues audit events and prediction-log rows (:class:`PredictionSink`).
"""

from wardwatch.core.workspace import Workspace
from wardwatch.serve._app import create_app
from wardwatch.serve._hub import ModelHub, Route
from wardwatch.serve._loaded import Factor, Prediction, ServedModel, load_version
from wardwatch.serve._scorer import Explained, Scorer
from wardwatch.serve._service import Refused, ServeSettings, Service
from wardwatch.serve._sink import PREDICTION_LOG_SCHEMA, PredictionSink, Record

__all__ = [
    "PREDICTION_LOG_SCHEMA",
    "Explained",
    "Factor",
    "ModelHub",
    "Prediction",
    "PredictionSink",
    "Record",
    "Refused",
    "Route",
    "Scorer",
    "ServeSettings",
    "ServedModel",
    "Service",
    "build_app",
    "create_app",
    "load_version",
]


def build_app(ws: Workspace, settings: ServeSettings) -> object:
    """The FastAPI app serving ``settings.models`` from workspace ``ws``."""
    from fastapi import FastAPI

    app: FastAPI = create_app(Service.from_workspace(ws, settings))
    return app
