"""Loading notes (FHIR DocumentReference, text) and chunking them with stable ids and spans."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wardwatch.errors import InputError
from wardwatch.llm.sources import (
    Source,
    chunk_source,
    from_document_reference,
    load_fhir,
    load_sources,
)


def docref(rid: str, text: str, *, charset: str = "utf-8") -> dict[str, object]:
    return {
        "resourceType": "DocumentReference",
        "id": rid,
        "status": "current",
        "subject": {"reference": "Patient/p9"},
        "date": "2024-03-05T10:00:00Z",
        "content": [
            {
                "attachment": {
                    "contentType": f"text/plain; charset={charset}",
                    "data": base64.b64encode(text.encode(charset)).decode(),
                }
            }
        ],
    }


def test_document_reference_is_decoded_with_its_charset() -> None:
    src = from_document_reference(docref("d1", "Fièvre résolue.", charset="latin-1"))
    assert src == Source("d1", "Fièvre résolue.", patient_id="p9", date="2024-03-05T10:00:00Z")


def test_bundle_and_ndjson(tmp_path: Path) -> None:
    bundle = {
        "resourceType": "Bundle",
        "entry": [
            {"resource": {"resourceType": "Patient", "id": "p9"}},
            {"resource": docref("d1", "One.")},
        ],
    }
    (tmp_path / "b.json").write_text(json.dumps(bundle))
    (tmp_path / "n.ndjson").write_text(json.dumps(docref("d2", "Two.")) + "\n\n")
    (tmp_path / "policy.md").write_text("Policy text.")
    got = load_sources([tmp_path])
    assert [(s.source_id, s.text) for s in got] == [
        ("d1", "One."),
        ("d2", "Two."),
        ("policy", "Policy text."),
    ]
    assert load_fhir(tmp_path / "n.ndjson")[0].source_id == "d2"


@pytest.mark.parametrize(
    ("resource", "field"),
    [
        ({"resourceType": "DocumentReference", "id": "x", "content": []}, "content"),
        (
            {
                "resourceType": "DocumentReference",
                "id": "x",
                "content": [{"attachment": {"data": "!!notbase64"}}],
            },
            "content[0].attachment.data",
        ),
        (
            {
                "resourceType": "DocumentReference",
                "id": "x",
                "content": [{"attachment": {"url": "http://x"}}],
            },
            "content[].attachment.data",
        ),
    ],
)
def test_bad_document_reference_is_one_line(resource: dict[str, object], field: str) -> None:
    with pytest.raises(InputError) as exc:
        from_document_reference(resource)
    assert exc.value.field == field
    assert "record x" in str(exc.value)
    assert "\n" not in str(exc.value)


def test_unknown_file_and_duplicate_ids(tmp_path: Path) -> None:
    (tmp_path / "a.pdf").write_bytes(b"%PDF")
    with pytest.raises(InputError, match="unknown source file type"):
        load_sources([tmp_path / "a.pdf"])
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "a.txt").write_text("A.")
    (tmp_path / "a.txt").write_text("B.")
    with pytest.raises(InputError, match="two sources with one id"):
        load_sources([tmp_path / "a.txt", tmp_path / "x"])
    with pytest.raises(InputError, match="no such file"):
        load_sources([tmp_path / "missing.txt"])


def test_chunks_have_stable_ids_and_exact_spans() -> None:
    text = (
        "First sentence here. Second one.\n\nThird paragraph sentence. "
        + "Long words " * 30
        + "end."
    )
    src = Source("n1", text)
    chunks = chunk_source(src, max_chars=60)
    assert [c.chunk_id for c in chunks] == [f"n1#c{k}" for k in range(len(chunks))]
    assert chunks[0].text == "First sentence here. Second one."
    for c in chunks:
        assert text[c.start : c.end] == c.text
        assert all(c.start <= s < e <= c.end for s, e in c.sentences)
    assert chunk_source(src, max_chars=60) == chunks


@given(st.text(alphabet=st.sampled_from("ab .!?\n"), max_size=200), st.integers(1, 80))
def test_chunking_never_loses_or_invents_text(text: str, max_chars: int) -> None:
    chunks = chunk_source(Source("s", text), max_chars=max_chars)
    covered = "".join(text[s:e] for c in chunks for s, e in c.sentences)
    assert "".join(covered.split()) == "".join(text.split())
    for c in chunks:
        assert c.text == text[c.start : c.end]
        assert c.text == c.text.strip()
