"""Small linear models trained with numpy alone: multinomial logistic regression over sparse
binary features (bags of stems) and binary logistic regression over dense features.

Full-batch gradient descent with Adam and L2; deterministic (no sampling), so `make train` gives
the same weights on every machine. Small enough to read: the models medcite learns are linear
so that every decision can be explained as a sum of weights (``--explain``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class SparseRows:
    """Rows of feature indices (binary features), stored flat: row i is
    ``indices[offsets[i]:offsets[i + 1]]``."""

    indices: npt.NDArray[np.int64]
    offsets: npt.NDArray[np.int64]

    @classmethod
    def of(cls, rows: Sequence[Sequence[int]]) -> SparseRows:
        offsets = np.zeros(len(rows) + 1, dtype=np.int64)
        offsets[1:] = np.cumsum([len(r) for r in rows])
        flat = [i for r in rows for i in r]
        return cls(np.array(flat, dtype=np.int64), offsets)

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def row_of_each_index(self) -> npt.NDArray[np.int64]:
        return np.repeat(np.arange(len(self)), np.diff(self.offsets))


class _Adam:
    def __init__(self, shape: tuple[int, ...], rate: float) -> None:
        self.m = np.zeros(shape)
        self.v = np.zeros(shape)
        self.t = 0
        self.rate = rate

    def step(self, grad: Array) -> Array:
        self.t += 1
        self.m = 0.9 * self.m + 0.1 * grad
        self.v = 0.999 * self.v + 0.001 * grad**2
        m_hat = self.m / (1 - 0.9**self.t)
        v_hat = self.v / (1 - 0.999**self.t)
        update: Array = self.rate * m_hat / (np.sqrt(v_hat) + 1e-8)
        return update


def softmax(logits: Array) -> Array:
    shifted = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    out: Array = e / e.sum(axis=1, keepdims=True)
    return out


def train_multinomial(
    rows: SparseRows,
    labels: npt.NDArray[np.int64],
    n_features: int,
    n_classes: int,
    *,
    l2: float = 1e-4,
    epochs: int = 150,
    rate: float = 0.05,
) -> tuple[Array, Array]:
    """(weights [n_features, n_classes], bias [n_classes]) of softmax regression."""
    weights = np.zeros((n_features, n_classes))
    bias = np.log(np.bincount(labels, minlength=n_classes) + 1.0)
    bias -= bias.mean()
    owner = rows.row_of_each_index()
    target = np.zeros((len(rows), n_classes))
    target[np.arange(len(rows)), labels] = 1.0
    opt_w, opt_b = _Adam(weights.shape, rate), _Adam(bias.shape, rate)
    for _ in range(epochs):
        logits = np.zeros((len(rows), n_classes))
        np.add.at(logits, owner, weights[rows.indices])
        probs = softmax(logits + bias)
        delta = (probs - target) / len(rows)
        grad_w = np.zeros_like(weights)
        np.add.at(grad_w, rows.indices, delta[owner])
        grad_w += l2 * weights
        weights -= opt_w.step(grad_w)
        bias -= opt_b.step(delta.sum(axis=0))
    return weights, bias


def predict_multinomial(rows: SparseRows, weights: Array, bias: Array) -> Array:
    logits = np.zeros((len(rows), weights.shape[1]))
    np.add.at(logits, rows.row_of_each_index(), weights[rows.indices])
    return softmax(logits + bias)


def train_logistic(
    x: Array,
    y: npt.NDArray[np.float64],
    *,
    l2: float = 1e-3,
    epochs: int = 400,
    rate: float = 0.05,
) -> tuple[Array, float]:
    """(weights, bias) of logistic regression on standardised dense features ``x``."""
    weights = np.zeros(x.shape[1])
    prior = float(np.clip(y.mean(), 1e-6, 1 - 1e-6))
    bias = np.array([np.log(prior / (1 - prior))])
    opt_w, opt_b = _Adam(weights.shape, rate), _Adam(bias.shape, rate)
    for _ in range(epochs):
        p = 1 / (1 + np.exp(-(x @ weights + bias[0])))
        delta = (p - y) / len(y)
        weights -= opt_w.step(x.T @ delta + l2 * weights)
        bias -= opt_b.step(np.array([delta.sum()]))
    return weights, float(bias[0])


def auc(scores: Sequence[float], labels: Sequence[bool]) -> float:
    """Area under the ROC curve: the chance that a positive scores above a negative (ties
    count half)."""
    values = np.asarray(scores, dtype=np.float64)
    y = np.asarray(labels, dtype=bool)
    n_pos, n_neg = int(y.sum()), int((~y).sum())
    if not n_pos or not n_neg:
        return float("nan")
    order = np.argsort(values, kind="mergesort")
    ordered = values[order]
    edges = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1], True])
    counts = np.diff(edges)
    average = edges[:-1] + (counts + 1) / 2  # 1-based mean rank of each group of ties
    ranks = np.empty(len(values))
    ranks[order] = np.repeat(average, counts)
    return float((ranks[y].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))
