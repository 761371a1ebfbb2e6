"""The clinical data-quality gate.

Checks are pure functions over the lake's canonical tables (through Ibis, so the same checks
run on DuckDB and on Spark) that return :class:`CheckResult` objects; a contract (YAML) says
which run with which parameters and severities; a policy turns the results into a verdict
(pass / warn / fail); :class:`QualityReport` writes JSON and a self-contained HTML page with
identifying values masked.

    from wardwatch.quality import run_gate
    report = run_gate(workspace_lake)          # the default contract, on DuckDB
    report.verdict                             # Verdict.PASS | WARN | FAIL
"""

from wardwatch.quality import checks as _checks  # noqa: F401  (registers the checks)
from wardwatch.quality._context import CheckContext
from wardwatch.quality._contract import (
    CheckSpec,
    Contract,
    Policy,
    contract_from_dict,
    default_contract,
    load_contract,
)
from wardwatch.quality._engine import ENGINES, Engine, open_engine
from wardwatch.quality._gate import run_gate
from wardwatch.quality._model import CheckResult, Finding, Severity, Verdict
from wardwatch.quality._registry import CHECKS, CheckDef
from wardwatch.quality._report import MASK, QualityReport

__all__ = [
    "CHECKS",
    "ENGINES",
    "MASK",
    "CheckContext",
    "CheckDef",
    "CheckResult",
    "CheckSpec",
    "Contract",
    "Engine",
    "Finding",
    "Policy",
    "QualityReport",
    "Severity",
    "Verdict",
    "contract_from_dict",
    "default_contract",
    "load_contract",
    "open_engine",
    "run_gate",
]
