"""Monitoring: is the model still safe to use?

A model version is monitored window by window over its prediction log against the
reference saved with it at training (the held-out validation and test periods' inputs,
risks and labels):

- feature drift with Evidently's default choices (K-S and chi-square under 1,000 reference
  rows, normalized Wasserstein and Jensen-Shannon above), PSI on reference deciles,
  missingness and new categories, Benjamini-Hochberg across features;
- prediction and flag-rate drift against what was expected at approval;
- performance estimated from the calibrated risks before labels arrive (CBPE), and realized
  performance and calibration with bootstrap intervals once they do; subgroups with a
  minimum size;
- service SLIs from the request log and clinician overrides from CDS Hooks feedback;
- the data-feed findings of the quality gate (unit switches, invalid codes).

Alert rules (YAML) route each finding to its owner (data feed, model, SRE) with the reason,
through a webhook (Slack, PagerDuty), e-mail and the store; rollback criteria recommend or
perform a rollback through the registry::

    from wardwatch.monitor import run_monitor
    run = run_monitor(ws, "readmission-30d", window=timedelta(days=7))
"""

from wardwatch.monitor._drift import (
    ColumnDrift,
    ColumnProfile,
    DriftResult,
    ReferenceProfile,
    drift_report,
)
from wardwatch.monitor._estimate import EstimatedPerformance, estimate_performance
from wardwatch.monitor._history import load_history, load_observations
from wardwatch.monitor._labels import Outcomes, join_outcomes
from wardwatch.monitor._log import LogWindow, Window, read_window, windows
from wardwatch.monitor._observation import Observation, Owner
from wardwatch.monitor._realized import (
    RealizedPerformance,
    SubgroupPerformance,
    realized_performance,
    subgroup_performance,
)
from wardwatch.monitor._reference import Reference, load_reference
from wardwatch.monitor._replay import ReplaySummary, replay_predictions
from wardwatch.monitor._rollback import (
    RollbackDecision,
    RollbackOutcome,
    RollbackPolicy,
    apply_rollback,
    default_rollback_policy,
    evaluate_rollback,
    load_rollback_policy,
    parse_rollback_policy,
)
from wardwatch.monitor._run import MonitorRun, WindowResult, parse_window, run_monitor
from wardwatch.monitor._slis import ServiceSLIs, service_slis
from wardwatch.monitor.alerts import AlertBook, RuleSet, evaluate_rules, load_rules

__all__ = [
    "AlertBook",
    "ColumnDrift",
    "ColumnProfile",
    "DriftResult",
    "EstimatedPerformance",
    "LogWindow",
    "MonitorRun",
    "Observation",
    "Outcomes",
    "Owner",
    "RealizedPerformance",
    "Reference",
    "ReferenceProfile",
    "ReplaySummary",
    "RollbackDecision",
    "RollbackOutcome",
    "RollbackPolicy",
    "RuleSet",
    "ServiceSLIs",
    "SubgroupPerformance",
    "Window",
    "WindowResult",
    "apply_rollback",
    "default_rollback_policy",
    "drift_report",
    "estimate_performance",
    "evaluate_rollback",
    "evaluate_rules",
    "join_outcomes",
    "load_history",
    "load_observations",
    "load_reference",
    "load_rollback_policy",
    "load_rules",
    "parse_rollback_policy",
    "parse_window",
    "read_window",
    "realized_performance",
    "replay_predictions",
    "run_monitor",
    "service_slis",
    "subgroup_performance",
    "windows",
]
