"""Alert rules, routing to owners, sinks and the alert lifecycle.

    from wardwatch.monitor.alerts import AlertBook, evaluate_rules, load_rules
    rules = load_rules()                                     # packaged default_rules.yaml
    candidates = evaluate_rules(rules, observations, history=earlier_windows)
    book = AlertBook.from_workspace(ws)                      # store + audit + routes
    for r in book.raise_alerts(candidates):                  # dedup, cooldown, paging
        print(r.outcome, r.alert.title, r.alert.why)
    book.acknowledge(alert_id, identity, "on it")            # ml-engineer, approver, admin
    book.resolve(alert_id, identity, "feed fixed")

Rules (:mod:`._rules`) are YAML validated by pydantic; each names the owner it pages: the
data-feed owner (input drift, missingness, unit and code changes), the model owner
(performance and calibration decay) or the SRE (latency, errors). Every alert says which
and why. Sinks: a webhook (Slack or PagerDuty Events v2), e-mail over SMTP, and the store.
"""

from wardwatch.monitor.alerts._alert import Action, Alert, AlertError, AlertStatus
from wardwatch.monitor.alerts._evaluate import (
    AlertCandidate,
    History,
    evaluate_rules,
    fingerprint,
)
from wardwatch.monitor.alerts._explain import CONVERSIONS, OWNER_LABELS, unit_switch
from wardwatch.monitor.alerts._routes import (
    ROUTES_FILE,
    RoutesConfig,
    load_routes,
    parse_routes,
    routes_for_workspace,
)
from wardwatch.monitor.alerts._rules import (
    DEFAULT_RULES,
    AlertRule,
    Condition,
    RuleSet,
    Severity,
    WindowKind,
    load_rules,
    parse_rules,
    window_kind,
)
from wardwatch.monitor.alerts._sinks import (
    Delivery,
    EmailSink,
    Router,
    Sink,
    StoreSink,
    WebhookSink,
    pagerduty_payload,
    slack_payload,
)
from wardwatch.monitor.alerts._store import ACK_ROLES, SYSTEM_ACTOR, AlertBook, Raised
from wardwatch.monitor.alerts._tables import ALERTS

__all__ = [
    "ACK_ROLES",
    "ALERTS",
    "CONVERSIONS",
    "DEFAULT_RULES",
    "OWNER_LABELS",
    "ROUTES_FILE",
    "SYSTEM_ACTOR",
    "Action",
    "Alert",
    "AlertBook",
    "AlertCandidate",
    "AlertError",
    "AlertRule",
    "AlertStatus",
    "Condition",
    "Delivery",
    "EmailSink",
    "History",
    "Raised",
    "Router",
    "RoutesConfig",
    "RuleSet",
    "Severity",
    "Sink",
    "StoreSink",
    "WebhookSink",
    "WindowKind",
    "evaluate_rules",
    "fingerprint",
    "load_routes",
    "load_rules",
    "pagerduty_payload",
    "parse_routes",
    "parse_rules",
    "routes_for_workspace",
    "slack_payload",
    "unit_switch",
    "window_kind",
]
