"""Prompt versions: files with YAML front matter, identified by their content hash.

A prompt version is a Markdown file::

    ---
    name: summarize
    version: v2
    max_sentences_per_section: 4      # how many sentences a section may have
    retrieval_k: 10                   # chunks retrieved per section query
    min_supported_fraction: 0.5       # below this share of supported sentences: refuse
    sections:
      - {title: Problems, query: diagnosis condition chronic acute}
    ---
    ## system
    ... {{ canary }} ...
    ## user
    Task: {{ task }} ... {{ sections }} ... {{ max_sentences }} ... {{ sources }}

The ``hash`` is the SHA-256 of the file's bytes: any edit, even of whitespace, is a new
version in the audit log and in evaluation reports. Packaged versions are loaded by id
(``summarize-v1``); any other file by path.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from wardwatch.errors import ConfigError
from wardwatch.llm.backends._base import SectionSpec

__all__ = ["PromptVersion", "load_prompt", "packaged_prompts"]

_FRONT = re.compile(r"\A---\s*\n(.*?)\n---\s*\n(.*)\Z", re.S)
_PART = re.compile(r"^## (system|user)\s*$", re.M)
_SLOT = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")
_SLOTS = {"system": {"canary"}, "user": {"task", "sections", "sources", "max_sentences"}}


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1)
    query: str = Field(min_length=1)


class _Front(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, pattern=r"^[a-z0-9_-]+$")
    version: str = Field(min_length=1, pattern=r"^[A-Za-z0-9._-]+$")
    description: str = ""
    max_sentences_per_section: int = Field(default=3, ge=1, le=20)
    retrieval_k: int = Field(default=8, ge=1, le=100)
    min_supported_fraction: float = Field(default=0.5, ge=0.0, le=1.0)
    sections: list[_Section] = Field(min_length=1)


@dataclass(frozen=True)
class PromptVersion:
    """One prompt version: its settings, its two templates and the hash of its file."""

    name: str
    version: str
    hash: str
    system: str
    user: str
    sections: tuple[SectionSpec, ...]
    max_sentences: int
    retrieval_k: int
    min_supported_fraction: float
    description: str = ""
    path: str = field(default="", compare=False)

    @property
    def id(self) -> str:
        """``<name>-<version>``, e.g. ``summarize-v2``."""
        return f"{self.name}-{self.version}"

    @property
    def short_hash(self) -> str:
        """The first 12 hex digits of the hash, for tables."""
        return self.hash[:12]

    def render(self, **slots: str) -> tuple[str, str]:
        """The system and user messages with their ``{{ slot }}`` s filled."""
        return _fill(self.system, slots), _fill(self.user, slots)


def _fill(template: str, slots: dict[str, str]) -> str:
    return _SLOT.sub(lambda m: slots[m.group(1)], template)


def _parse(data: bytes, where: str) -> PromptVersion:
    text = data.decode("utf-8")
    m = _FRONT.match(text)
    if not m:
        raise ConfigError(
            "prompt file has no YAML front matter",
            record=where,
            expected="--- front matter --- then ## system and ## user",
        )
    try:
        raw: Any = yaml.safe_load(m.group(1))
        front = _Front.model_validate(raw)
    except yaml.YAMLError as exc:
        raise ConfigError(
            "prompt front matter is not YAML", record=where, found=str(exc).splitlines()[0]
        ) from None
    except ValidationError as exc:
        err = exc.errors()[0]
        key = ".".join(str(p) for p in err["loc"]) or "(front matter)"
        raise ConfigError(
            "bad prompt front matter", record=where, field=key, expected=str(err["msg"])
        ) from None
    parts = _PART.split(m.group(2))
    found = {parts[i]: parts[i + 1].strip() for i in range(1, len(parts) - 1, 2)}
    if set(found) != {"system", "user"}:
        raise ConfigError(
            "prompt needs a '## system' and a '## user' part",
            record=where,
            found=", ".join(sorted(found)) or "neither",
        )
    for part, allowed in _SLOTS.items():
        for slot in _SLOT.findall(found[part]):
            if slot not in allowed:
                raise ConfigError(
                    "unknown prompt slot",
                    record=where,
                    field=part,
                    expected=", ".join(sorted(allowed)),
                    found=slot,
                )
    if "sources" not in _SLOT.findall(found["user"]):
        raise ConfigError(
            "prompt never shows the sources",
            record=where,
            field="user",
            expected="a {{ sources }} slot",
        )
    return PromptVersion(
        name=front.name,
        version=front.version,
        hash=hashlib.sha256(data).hexdigest(),
        system=found["system"],
        user=found["user"],
        sections=tuple(SectionSpec(s.title, s.query) for s in front.sections),
        max_sentences=front.max_sentences_per_section,
        retrieval_k=front.retrieval_k,
        min_supported_fraction=front.min_supported_fraction,
        description=front.description,
        path=where,
    )


def packaged_prompts() -> list[str]:
    """Ids of the prompt versions shipped with wardwatch (``summarize-v1``, ...)."""
    return sorted(
        p.name.removesuffix(".md")
        for p in resources.files(__name__).iterdir()
        if p.name.endswith(".md")
    )


def load_prompt(ref: str | Path, *, base: Path | None = None) -> PromptVersion:
    """A prompt version by packaged id (``summarize-v1``) or by file path.

    A relative path is looked up under ``base`` (a suite's folder) first. Raises
    :class:`ConfigError` naming the file and the key at fault.
    """
    name = str(ref)
    if isinstance(ref, str) and name in packaged_prompts():
        data = (resources.files(__name__) / f"{name}.md").read_bytes()
        return _parse(data, name)
    path = Path(ref)
    if base is not None and not path.is_absolute() and (base / path).is_file():
        path = base / path
    if not path.is_file():
        raise ConfigError(
            "no such prompt",
            record=name,
            expected=f"a file or one of {', '.join(packaged_prompts())}",
        )
    return _parse(path.read_bytes(), str(path))
