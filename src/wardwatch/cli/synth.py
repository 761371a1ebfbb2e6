"""``wardwatch synth``: write a synthetic EHR population (FHIR R4, HL7 v2, claims CSV)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from wardwatch.cli._common import (
    JsonOpt,
    WorkspaceOpt,
    console,
    emit_json,
    progress_bar,
    run_guarded,
)
from wardwatch.synth import SynthConfig, SynthResult, generate

__all__ = ["synth"]


def synth(
    patients: Annotated[
        int,
        typer.Option(
            "--patients",
            "-n",
            min=1,
            help="Number of patients (about 175 FHIR resources each over the default 7 years).",
        ),
    ] = 1000,
    seed: Annotated[
        int, typer.Option("--seed", "-s", min=0, help="Random seed: same seed, same bytes.")
    ] = 0,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="Output folder. Default: synth/ in the workspace.",
            show_default=False,
        ),
    ] = None,
    defects: Annotated[
        str | None,
        typer.Option(
            "--defects",
            help="Inject data defects: 'class=rate,...', 'all=RATE' or a YAML file "
            "mapping class to rate. Classes: missing-required, dangling-reference, "
            "end-before-start, future-date, before-birth, invalid-code, bad-check-digit, "
            "unit-switch, implausible-value, duplicate-patient, duplicate-event, malformed-json, "
            "wrong-type. Listed in defects.jsonl.",
        ),
    ] = None,
    drift: Annotated[
        str | None,
        typer.Option(
            "--drift",
            help="Shift the population or feeds from a date: 'kind@YYYY-MM-DD[:param],"
            "...' with kind age-mix, case-mix, unit-switch, silent-unit-switch, code-set-change, "
            "new-site, label-rate. "
            "Described in drift.json.",
        ),
    ] = None,
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            "-f",
            help="ndjson (one file per resource type) or bundle "
            "(one transaction Bundle per patient).",
        ),
    ] = "ndjson",
    start: Annotated[str, typer.Option("--start", help="First day, YYYY-MM-DD.")] = "2019-01-01",
    end: Annotated[str, typer.Option("--end", help="Last day and 'now', YYYY-MM-DD.")] = (
        "2025-12-31"
    ),
    workspace: WorkspaceOpt = Path("."),
    as_json: JsonOpt = False,
) -> None:
    """Generate synthetic patients with longitudinal records (FHIR R4, HL7 v2.5, claims CSV).

    The same care is written to every feed with the same ids. A built-in, documented 30-day
    readmission signal makes the data usable for training and evaluation; --defects and
    --drift inject known data problems and shifts, listed in defects.jsonl and drift.json.

    Examples:

      wardwatch synth --patients 1000 --seed 7 --out data/synth

      wardwatch synth -n 200 --defects missing-required=0.01,unit-switch=0.02 --out bad/

      wardwatch synth -n 500 --drift age-mix@2024-01-01:3,unit-switch@2023-06-01:LMC

      wardwatch synth -n 50 --format bundle --start 2022-01-01 --end 2023-12-31 --json
    """
    config = SynthConfig(
        patients=patients,
        seed=seed,
        out=out if out is not None else workspace / "synth",
        format=fmt,
        defects=defects,
        drift=drift,
        start=start,
        end=end,
    )

    def run() -> SynthResult:
        with progress_bar(enabled=not as_json) as bar:
            task = bar.add_task("patients", total=patients)
            return generate(config, progress=lambda done, _total: bar.update(task, completed=done))

    result: SynthResult = run_guarded(run, as_json=as_json)
    if as_json:
        emit_json(result.to_dict())
        return
    console.print(
        f"wrote {result.resources:,} FHIR resources for {result.patients:,} patients to "
        f"{result.out} in {result.elapsed_s:.1f} s ({result.resources_per_second:,.0f} "
        f"resources/s); {result.hl7_messages:,} HL7 messages, {result.claims_rows:,} claims rows"
        + (
            f"; {sum(result.defects.values()):,} defects in {result.defects_manifest}"
            if result.defects_manifest
            else ""
        ),
        highlight=False,
        soft_wrap=True,
    )
