"""Sources for summaries: a patient's notes and approved policy documents, cut into chunks.

A :class:`Source` is one document: its id, its text and what it is (``note`` or ``policy``).
Notes come from FHIR ``DocumentReference`` resources (a resource, a Bundle or NDJSON; the
text is ``content[].attachment.data``, base64, decoded with the attachment's charset) or
from plain text files; policy documents from text or Markdown files.

:func:`chunk_source` cuts a source into :class:`Chunk` s: runs of whole sentences within one
paragraph, up to ``max_chars`` characters, with the id ``"<source_id>#c<k>"`` (``k`` counts
from 0 in reading order) and the character span ``[start, end)`` of the chunk in the source
text. The same text and settings always give the same ids and spans, so a citation
(source id + span) stays valid across runs.
"""

from __future__ import annotations

import base64
import binascii
import itertools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import orjson

from wardwatch.errors import InputError
from wardwatch.llm._text import sentence_spans

__all__ = [
    "Chunk",
    "Source",
    "SourceKind",
    "chunk_source",
    "chunk_sources",
    "from_document_reference",
    "load_fhir",
    "load_sources",
    "load_text",
]

SourceKind = Literal["note", "policy"]
_ID_BAD = re.compile(r"[^A-Za-z0-9._-]+")
_PARAGRAPH = re.compile(r"\n[ \t]*\n")
_TEXT_SUFFIXES = {".txt", ".md", ".text", ".note"}
_FHIR_SUFFIXES = {".json", ".ndjson", ".jsonl"}


@dataclass(frozen=True)
class Source:
    """One document to summarize from: a note of the patient or an approved policy text."""

    source_id: str
    text: str
    kind: SourceKind = "note"
    patient_id: str | None = None
    date: str | None = None
    title: str | None = None


@dataclass(frozen=True)
class Chunk:
    """A run of whole sentences of one source; ``sentences`` are spans into the source text."""

    chunk_id: str
    source_id: str
    start: int
    end: int
    text: str
    sentences: tuple[tuple[int, int], ...] = field(default=())


def _clean_id(raw: str) -> str:
    cleaned = _ID_BAD.sub("-", raw).strip("-")
    return cleaned or "source"


def chunk_source(source: Source, *, max_chars: int = 600) -> list[Chunk]:
    """Cut ``source`` into chunks of whole sentences, never across a paragraph break.

    A sentence longer than ``max_chars`` is a chunk of its own (sentences are never cut).
    """
    if max_chars < 1:
        raise InputError("bad chunk size", field="max_chars", expected=">= 1", found=str(max_chars))
    text = source.text
    bounds = [0, *(m.end() for m in _PARAGRAPH.finditer(text)), len(text)]
    groups: list[list[tuple[int, int]]] = []
    for p_start, p_end in itertools.pairwise(bounds):
        current: list[tuple[int, int]] = []
        for span in sentence_spans(text, p_start, p_end):
            if current and span[1] - current[0][0] > max_chars:
                groups.append(current)
                current = []
            current.append(span)
        if current:
            groups.append(current)
    return [
        Chunk(
            chunk_id=f"{source.source_id}#c{k}",
            source_id=source.source_id,
            start=g[0][0],
            end=g[-1][1],
            text=text[g[0][0] : g[-1][1]],
            sentences=tuple(g),
        )
        for k, g in enumerate(groups)
    ]


def chunk_sources(sources: Iterable[Source], *, max_chars: int = 600) -> list[Chunk]:
    """Every chunk of every source, in the order of the sources."""
    return [c for s in sources for c in chunk_source(s, max_chars=max_chars)]


def load_text(path: Path, *, kind: SourceKind = "note", source_id: str | None = None) -> Source:
    """A text (or Markdown) file as one source; its id is the file name without suffix."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InputError(
            "not a UTF-8 text file",
            record=path.name,
            expected="UTF-8 text",
            hint="convert the file to UTF-8",
        ) from None
    return Source(_clean_id(source_id or path.stem), text, kind=kind, title=path.name)


def _charset(content_type: str | None) -> str:
    m = re.search(r"charset=\"?([A-Za-z0-9._-]+)", content_type or "")
    return m.group(1) if m else "utf-8"


def from_document_reference(resource: Mapping[str, Any]) -> Source:
    """A FHIR R4 ``DocumentReference`` with inline text as a source (its id is the resource id).

    The first ``content[].attachment`` with ``data`` is decoded (base64, then its charset).
    Raises :class:`InputError` naming the resource and the field when there is no usable text.
    """
    rid = str(resource.get("id") or "")
    record = rid or "DocumentReference (no id)"
    if resource.get("resourceType") != "DocumentReference":
        raise InputError(
            "not a DocumentReference",
            record=record,
            field="resourceType",
            expected="DocumentReference",
            found=str(resource.get("resourceType")),
        )
    contents = resource.get("content")
    if not isinstance(contents, list) or not contents:
        raise InputError("no content", record=record, field="content", expected="a non-empty list")
    for i, content in enumerate(contents):
        att = content.get("attachment") if isinstance(content, Mapping) else None
        if not isinstance(att, Mapping) or att.get("data") is None:
            continue
        where = f"content[{i}].attachment.data"
        try:
            raw = base64.b64decode(str(att["data"]), validate=True)
        except (binascii.Error, ValueError):
            raise InputError(
                "attachment is not base64", record=record, field=where, expected="base64 text"
            ) from None
        ctype = att.get("contentType")
        if ctype and not str(ctype).startswith("text/"):
            continue
        try:
            text = raw.decode(_charset(ctype))
        except (LookupError, UnicodeDecodeError):
            raise InputError(
                "attachment text cannot be decoded",
                record=record,
                field=where,
                expected=f"text in {_charset(ctype)}",
            ) from None
        subject = resource.get("subject")
        ref = subject.get("reference") if isinstance(subject, Mapping) else None
        patient = str(ref).rsplit("/", 1)[-1] if ref else None
        date = resource.get("date")
        return Source(
            _clean_id(rid or f"doc-{i}"),
            text,
            kind="note",
            patient_id=patient,
            date=str(date) if date else None,
            title=str(att.get("title") or "") or None,
        )
    raise InputError(
        "no inline text attachment",
        record=record,
        field="content[].attachment.data",
        expected="base64 text/* data",
        hint="only inline attachments are read",
    )


def _resources(obj: Any) -> Iterable[Mapping[str, Any]]:
    if isinstance(obj, Mapping) and obj.get("resourceType") == "Bundle":
        for entry in obj.get("entry") or []:
            res = entry.get("resource") if isinstance(entry, Mapping) else None
            if isinstance(res, Mapping):
                yield res
    elif isinstance(obj, Mapping):
        yield obj


def load_fhir(path: Path) -> list[Source]:
    """Every ``DocumentReference`` of a JSON resource, Bundle or NDJSON file, as sources.

    Other resource types are skipped (a Bundle usually holds the Patient and Encounters too).
    """
    data = path.read_bytes()
    objs: list[Any] = []
    try:
        if path.suffix.lower() in {".ndjson", ".jsonl"}:
            for n, line in enumerate(data.splitlines(), 1):
                if line.strip():
                    try:
                        objs.append(orjson.loads(line))
                    except orjson.JSONDecodeError:
                        raise InputError(
                            "not JSON",
                            record=f"{path.name} line {n}",
                            expected="one JSON resource per line",
                        ) from None
        else:
            objs.append(orjson.loads(data))
    except orjson.JSONDecodeError:
        raise InputError(
            "not JSON", record=path.name, expected="a FHIR resource or Bundle"
        ) from None
    return [
        from_document_reference(res)
        for obj in objs
        for res in _resources(obj)
        if res.get("resourceType") == "DocumentReference"
    ]


def load_sources(paths: Sequence[Path], *, kind: SourceKind = "note") -> list[Source]:
    """Sources from files and folders (walked in name order): FHIR JSON/NDJSON or text.

    Raises :class:`InputError` for a missing path, an unknown file type or two sources with
    the same id.
    """
    out: list[Source] = []
    for path in paths:
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file())
        elif path.is_file():
            files = [path]
        else:
            raise InputError("no such file or folder", record=str(path), hint="check the path")
        for f in files:
            suffix = f.suffix.lower()
            if suffix in _FHIR_SUFFIXES:
                out.extend(load_fhir(f))
            elif suffix in _TEXT_SUFFIXES or (path.is_file() and suffix == ""):
                out.append(load_text(f, kind=kind))
            elif path.is_file():
                raise InputError(
                    "unknown source file type",
                    record=f.name,
                    expected="FHIR .json/.ndjson or text .txt/.md",
                    found=suffix,
                )
    seen: set[str] = set()
    for s in out:
        if s.source_id in seen:
            raise InputError(
                "two sources with one id", record=s.source_id, hint="rename one of the files"
            )
        seen.add(s.source_id)
    return out
