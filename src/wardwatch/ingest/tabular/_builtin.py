"""Mappings that ship with wardwatch, and picking one from a file's header."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from importlib import resources

import yaml

from wardwatch.errors import ConfigError
from wardwatch.ingest.tabular._mapping import TableMapping, _StringLoader, mapping_from_dict

__all__ = ["builtin_mapping", "builtin_names", "match_builtin"]

_PACKAGE = "wardwatch.ingest.tabular"


def builtin_names() -> list[str]:
    """Names of the built-in mappings (``synth_claims``, ``ehr_lab_results``...)."""
    folder = resources.files(_PACKAGE) / "mappings"
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml"))


@cache
def builtin_mapping(name: str) -> TableMapping:
    """The built-in mapping called ``name`` (its file name without ``.yaml``).

    Raises:
        ConfigError: there is no built-in mapping of that name.
    """
    names = builtin_names()
    if name not in names:
        raise ConfigError(
            "no built-in mapping of that name", found=name, expected=" | ".join(names)
        )
    text = (resources.files(_PACKAGE) / "mappings" / f"{name}.yaml").read_text("utf-8")
    data = yaml.load(text, Loader=_StringLoader)  # noqa: S506 - a SafeLoader subclass
    return mapping_from_dict(data, f"builtin:{name}")


def match_builtin(header: Sequence[str]) -> TableMapping | None:
    """The built-in mapping whose source columns are exactly ``header`` (in any order).

    Lets a runner map a known export (the wardwatch generator's claims CSV...) without being
    told which mapping to use. None when no built-in mapping reads exactly these columns.
    """
    names = [h.strip() for h in header]
    if len(set(names)) != len(names):
        return None
    for name in builtin_names():
        mapping = builtin_mapping(name)
        if set(mapping.sources) == set(names):
            return mapping
    return None
