"""The mapping YAML: which source column fills which column of one canonical table.

A mapping names one canonical table and, for its columns, a source column (with how to read
it) or a constant::

    table: claims                  # a canonical table (wardwatch.core.schemas.TABLES)
    record_id: claim_id            # source column that names a row in quarantine entries
    timezone: UTC                  # zone of times written without one (IANA name or +hh:mm)
    null_values: ["", "NULL"]      # source strings read as empty (default: "")
    columns:                       # canonical column: source column, or a spec
      claim_id: claim_id
      billable_start: {source: service_from, format: date}
      sex: {source: gender, map: {M: male, F: female, U: unknown}}
      diagnosis_codes: {source: icd10_codes, split: "|"}
    constants:                     # canonical column: the same value on every row
      resource_type: csv

A column spec has ``source`` and optionally: ``format`` (time columns: ``iso`` the default,
``date`` YYYY-MM-DD, ``hl7`` HL7 DTM, or a strftime pattern such as ``"%m/%d/%Y %H:%M"``),
``timezone`` (overrides the mapping's), ``split`` (list columns: the separator), ``map`` (source
value to canonical value; ``null`` maps to empty), ``unmapped`` (a value the map lacks:
``reject`` the row, the default; ``keep`` it; make it ``null``), ``null_values`` (more strings
read as empty in this column), ``strip`` (trim spaces, default true) and ``required`` (reject
rows where the column is empty even if the canonical column is optional).

Every required canonical column must be mapped or constant. YAML scalars are read as strings
(``N`` and ``no`` stay text, ``007`` keeps its zeros) and converted to each column's type, so a
map like ``{Y: true, N: false}`` means what it says. Mistakes raise :class:`ConfigError` naming
the file, the key and what is allowed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping as AbcMapping
from datetime import UTC, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, PrivateAttr, ValidationError, field_validator

from wardwatch.core.schemas import TABLES, TableSpec
from wardwatch.errors import ConfigError

__all__ = ["ColumnMapping", "TableMapping", "load_mapping", "mapping_from_dict", "parse_zone"]

_OFFSET = re.compile(r"([+-])([0-9]{2}):?([0-9]{2})")
_NAMED_FORMATS = ("iso", "date", "hl7")


def parse_zone(name: str) -> tzinfo:
    """A time zone from an IANA name (``America/New_York``), ``UTC``/``Z`` or ``±hh:mm``.

    Raises:
        ValueError: the name is none of these.
    """
    if name in ("UTC", "Z", "utc"):
        return UTC
    if m := _OFFSET.fullmatch(name):
        sign = -1 if m.group(1) == "-" else 1
        hours, minutes = int(m.group(2)), int(m.group(3))
        if hours > 14 or minutes > 59:
            raise ValueError(f"offset {name} is out of range")
        return timezone(sign * timedelta(hours=hours, minutes=minutes))
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {name!r}: use an IANA name such as America/New_York, or +hh:mm"
        ) from None


def _check_zone(value: str | None) -> str | None:
    if value is not None:
        parse_zone(value)
    return value


class ColumnMapping(BaseModel):
    """How one canonical column is read from a source column."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: str
    format: str | None = None
    timezone: str | None = None
    split: str | None = None
    map: dict[str, str | None] | None = None
    unmapped: Literal["reject", "keep", "null"] = "reject"
    null_values: tuple[str, ...] = ()
    strip: bool = True
    required: bool = False

    _check_tz = field_validator("timezone")(_check_zone)

    @field_validator("format")
    @classmethod
    def _check_format(cls, value: str | None) -> str | None:
        if value is not None and value not in _NAMED_FORMATS and "%" not in value:
            raise ValueError(
                f"format {value!r} is not iso, date, hl7 or a strftime pattern (with %)"
            )
        return value

    @field_validator("split")
    @classmethod
    def _check_split(cls, value: str | None) -> str | None:
        if value is not None and not value:
            raise ValueError("split must be a non-empty separator, such as '|'")
        return value


class TableMapping(BaseModel):
    """A validated mapping from source columns to one canonical table.

    ``origin`` says where it came from (a file path, or ``builtin:<name>``) for error messages.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    table: str
    description: str = ""
    record_id: str | None = None
    timezone: str = "UTC"
    null_values: tuple[str, ...] = ("",)
    columns: dict[str, ColumnMapping]
    constants: dict[str, str] = {}
    _origin: str = PrivateAttr(default="<mapping>")

    _check_tz = field_validator("timezone")(_check_zone)

    @field_validator("columns", mode="before")
    @classmethod
    def _short_form(cls, value: Any) -> Any:
        # `canonical: source` is shorthand for `canonical: {source: source}`.
        if isinstance(value, AbcMapping):
            return {k: {"source": v} if isinstance(v, str) else v for k, v in value.items()}
        return value

    @property
    def origin(self) -> str:
        return self._origin

    @property
    def spec(self) -> TableSpec:
        return TABLES[self.table]

    @property
    def sources(self) -> list[str]:
        """The source columns the mapping reads (record id included), in mapping order."""
        names = [c.source for c in self.columns.values()]
        if self.record_id is not None:
            names.append(self.record_id)
        return list(dict.fromkeys(names))


def _problem(origin: str, key: str, message: str, expected: str | None = None) -> ConfigError:
    return ConfigError(f"invalid mapping: {message}", record=origin, field=key, expected=expected)


def _check_columns(m: TableMapping) -> None:
    """What pydantic cannot see: column names against the canonical table, types, coverage."""
    from wardwatch.ingest.tabular._values import ColumnReader, ValueProblem

    if m.table not in TABLES:
        raise _problem(m.origin, "table", f"unknown table {m.table!r}", " | ".join(TABLES))
    spec = m.spec
    allowed = [c.name for c in spec.columns]
    for section, names in (("columns", m.columns), ("constants", m.constants)):
        for name in names:
            if name not in allowed:
                raise _problem(
                    m.origin, f"{section}.{name}", f"{m.table} has no column {name!r}",
                    ", ".join(allowed),
                )  # fmt: skip
    both = sorted(set(m.columns) & set(m.constants))
    if both:
        raise _problem(m.origin, f"constants.{both[0]}", "a column is both mapped and constant")
    missing = [c.name for c in spec.columns if c.required and c.name not in m.columns]
    missing = [name for name in missing if name not in m.constants]
    if missing:
        raise _problem(
            m.origin,
            "columns",
            f"required {m.table} columns are not mapped: {', '.join(missing)}",
            "every required column in columns or constants",
        )
    for name, col in m.columns.items():
        kind = spec.column(name).kind
        key = f"columns.{name}"
        if col.format is not None and kind not in ("ts", "date"):
            raise _problem(m.origin, f"{key}.format", f"{name} is {kind}, not a time")
        if col.timezone is not None and kind != "ts":
            raise _problem(m.origin, f"{key}.timezone", f"{name} is {kind}, not a timestamp")
        if col.split is not None and kind != "list_str":
            raise _problem(m.origin, f"{key}.split", f"{name} is {kind}, not a list")
    for name, value in m.constants.items():
        reader = ColumnReader.for_constant(m, name)
        try:
            reader.convert(value)
        except ValueProblem as p:
            raise _problem(
                m.origin, f"constants.{name}", f"{value!r} is not a valid {name}", p.expected
            ) from None


class _StringLoader(yaml.SafeLoader):
    """YAML without implicit typing: every scalar is a string, except ``null``/``~``."""


_StringLoader.yaml_implicit_resolvers = {
    ch: [(tag, rx) for tag, rx in resolvers if tag == "tag:yaml.org,2002:null"]
    for ch, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _allowed_keys(loc: tuple[int | str, ...]) -> str:
    """The keys allowed beside an unknown one at ``loc``."""
    model: type[BaseModel] = ColumnMapping if loc[0] == "columns" else TableMapping
    return ", ".join(model.model_fields)


def mapping_from_dict(data: Any, origin: str = "<mapping>") -> TableMapping:
    """Validate a parsed mapping document (the YAML as a dict).

    Raises:
        ConfigError: the first problem, naming ``origin``, the key and what is allowed.
    """
    if not isinstance(data, AbcMapping):
        raise ConfigError(
            "invalid mapping: the document is not a YAML mapping",
            record=origin,
            expected="table:, columns: ...",
            found=type(data).__name__,
        )
    try:
        m = TableMapping.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        # An unknown key is most often a typo, and it explains the "missing" error beside it.
        err = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
        loc = tuple(err["loc"])
        key = ".".join(str(p) for p in loc) or "(top level)"
        if err["type"] == "extra_forbidden":
            raise _problem(origin, key, f"unknown key {loc[-1]!r}", _allowed_keys(loc)) from None
        if err["type"] == "missing":
            raise _problem(origin, key, "required key is missing") from None
        raise _problem(origin, key, err["msg"].removeprefix("Value error, ")) from None
    m._origin = origin
    _check_columns(m)
    return m


def load_mapping(path: str | Path) -> TableMapping:
    """Read and validate a mapping YAML file.

    Raises:
        ConfigError: the file cannot be read, is not YAML, or is not a valid mapping.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            "cannot read mapping file", record=str(p), found=f"{type(exc).__name__}: {exc}"
        ) from None
    try:
        data = yaml.load(text, Loader=_StringLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise ConfigError(
            "mapping file is not valid YAML", record=str(p), found=str(exc).replace("\n", " ")
        ) from None
    return mapping_from_dict(data, str(p))
