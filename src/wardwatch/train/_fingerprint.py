"""What a model was trained on and with: dataset fingerprint, code version, environment.

**Table hash** (:func:`table_sha256`): SHA-256 over a canonical byte form of the feature
table, independent of row order, column order and storage dtype width::

    b"wardwatch-table-v1\\n"
    for each column, by name (sorted):
        name (UTF-8) NUL  kind (b"f" | b"i" | b"t" | b"s") NUL  values  NUL
    rows ordered by the key column (``index_id``), which must be unique

Values per kind: ``f`` floats as little-endian float64 (every NaN one bit pattern, -0.0 as
0.0); ``i`` integers and booleans as little-endian int64; ``t`` timestamps as int64
microseconds since the epoch in UTC (naive times taken as UTC; missing as int64 min);
``s`` everything else as text: ``\\x01`` + 8-byte length + UTF-8 of ``str(value)``, or
``\\x00`` for a missing value (None, NaN, ``pd.NA``).

**Provenance hash** (:func:`provenance_sha256`): SHA-256 of the canonical JSON (sorted
keys, no spaces) of the source files' hashes, or of the given string.

**Dataset fingerprint**: SHA-256 of ``"wardwatch-dataset-v1\\n{table}\\n{provenance}"``; it
changes when the feature table or the sources it came from change.
"""

from __future__ import annotations

import hashlib
import json
import platform
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from wardwatch.errors import InputError

__all__ = [
    "CodeVersion",
    "DatasetFingerprint",
    "code_version",
    "dataset_fingerprint",
    "environment",
    "provenance_sha256",
    "table_sha256",
]

_PACKAGES = (
    "wardwatch",
    "numpy",
    "pandas",
    "pyarrow",
    "scipy",
    "scikit-learn",
    "lightgbm",
    "mlflow",
    "skops",
)


@dataclass(frozen=True)
class DatasetFingerprint:
    """Hashes identifying the training data (hex SHA-256 digests)."""

    sha256: str
    """The dataset fingerprint: table and provenance together."""
    table_sha256: str
    provenance_sha256: str | None
    """None when no provenance was given."""
    rows: int
    columns: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class CodeVersion:
    """The code that trained: a git commit when running from a checkout, else the version."""

    version: str
    """The git commit (40 hex) or the installed package version."""
    source: str
    """``git`` or ``package``."""
    dirty: bool | None
    """Uncommitted changes (or untracked files) under the package folder; None off git."""
    package_version: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def table_sha256(frame: pd.DataFrame, *, key: str = "index_id") -> str:
    """SHA-256 of the table's content (see the module docstring for what is hashed)."""
    if key not in frame.columns:
        raise InputError("cannot fingerprint the table", field=key, found="no such column")
    dup = frame[key].duplicated().to_numpy()
    if dup.any():
        raise InputError(
            "cannot fingerprint the table: the key is not unique",
            record=f"row {int(np.argmax(dup))}",
            field=key,
            found=f"{int(dup.sum())} repeated values",
        )
    ordered = frame.iloc[np.argsort(frame[key].astype(str).to_numpy(), kind="stable")]
    h = hashlib.sha256(b"wardwatch-table-v1\n")
    for name in sorted(ordered.columns, key=str):
        kind, payload = _column_bytes(ordered[name])
        h.update(str(name).encode("utf-8") + b"\0" + kind + b"\0")
        h.update(payload)
        h.update(b"\0")
    return h.hexdigest()


def _column_bytes(col: pd.Series) -> tuple[bytes, bytes]:
    dtype = col.dtype
    if pd.api.types.is_bool_dtype(dtype) and not col.isna().any():
        return b"i", col.to_numpy(dtype="<i8").tobytes()
    if pd.api.types.is_integer_dtype(dtype) and not col.isna().any():
        return b"i", col.to_numpy(dtype="<i8").tobytes()
    if pd.api.types.is_float_dtype(dtype):
        arr = col.to_numpy(dtype="<f8", na_value=np.nan).copy()
        arr[np.isnan(arr)] = np.nan
        arr[arr == 0.0] = 0.0
        return b"f", arr.tobytes()
    if pd.api.types.is_datetime64_any_dtype(dtype):
        s = col.dt.tz_localize("UTC") if col.dt.tz is None else col.dt.tz_convert("UTC")
        micros = s.dt.tz_localize(None).to_numpy(dtype="datetime64[us]").astype("<i8")
        micros[s.isna().to_numpy()] = np.iinfo(np.int64).min
        return b"t", micros.tobytes()
    parts: list[bytes] = []
    for v in col.astype(object).to_numpy():
        if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
            parts.append(b"\x00")
        else:
            b = str(v).encode("utf-8")
            parts.append(b"\x01" + len(b).to_bytes(8, "little") + b)
    return b"s", b"".join(parts)


def provenance_sha256(provenance: Mapping[str, Any] | str | None) -> str | None:
    """SHA-256 of the sources' provenance (a mapping as canonical JSON, or a string)."""
    if provenance is None:
        return None
    if isinstance(provenance, str):
        text = provenance
    else:
        text = json.dumps(
            dict(provenance), sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
        )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def dataset_fingerprint(
    frame: pd.DataFrame, provenance: Mapping[str, Any] | str | None = None
) -> DatasetFingerprint:
    """The :class:`DatasetFingerprint` of ``frame`` and the provenance of its sources."""
    table = table_sha256(frame)
    prov = provenance_sha256(provenance)
    combined = hashlib.sha256(f"wardwatch-dataset-v1\n{table}\n{prov or ''}".encode()).hexdigest()
    return DatasetFingerprint(
        sha256=combined,
        table_sha256=table,
        provenance_sha256=prov,
        rows=len(frame),
        columns=len(frame.columns),
    )


def _package_version(name: str) -> str | None:
    try:
        return version(name)
    except PackageNotFoundError:
        return None


def _git(args: list[str], cwd: Path) -> str | None:
    try:
        done = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, timeout=20, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


def code_version(package_dir: Path | None = None) -> CodeVersion:
    """The commit of the git checkout holding the wardwatch package, if it is tracked there.

    ``dirty`` reports uncommitted changes or untracked files under the package folder (not
    elsewhere in the repository). Off git (an installed wheel), the package version.
    """
    pkg = package_dir or Path(__file__).resolve().parents[1]
    pkg_version = _package_version("wardwatch") or "0.0.0"
    # The package must be tracked by the checkout: a wheel installed into a virtual
    # environment that happens to sit inside some repository is not that repository's code.
    tracked = _git(["ls-files", "--", "__init__.py"], pkg)
    head = _git(["rev-parse", "HEAD"], pkg) if tracked and tracked.strip() else None
    if head and head.strip():
        status = _git(["status", "--porcelain", "--untracked-files=normal", "--", "."], pkg)
        dirty = None if status is None else bool(status.strip())
        return CodeVersion(
            version=head.strip(), source="git", dirty=dirty, package_version=pkg_version
        )
    return CodeVersion(
        version=pkg_version, source="package", dirty=None, package_version=pkg_version
    )


def environment() -> dict[str, Any]:
    """Python, platform and the versions of the libraries that shape a model (no host name)."""
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "byteorder": sys.byteorder,
        "packages": {name: _package_version(name) for name in _PACKAGES},
    }
