"""The small linear models medcite learns with, on toy problems with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from medcite.learn.linear import (
    SparseRows,
    auc,
    predict_multinomial,
    train_logistic,
    train_multinomial,
)


def test_softmax_regression_learns_which_word_marks_which_class() -> None:
    # feature 0 marks class 0, feature 1 class 1, feature 2 class 2; feature 3 is noise.
    rows = SparseRows.of([[0, 3], [0], [1, 3], [1], [2, 3], [2]] * 10)
    labels = np.array([0, 0, 1, 1, 2, 2] * 10, dtype=np.int64)
    weights, bias = train_multinomial(rows, labels, n_features=4, n_classes=3, epochs=200)
    probs = predict_multinomial(SparseRows.of([[0], [1], [2], [3]]), weights, bias)
    assert list(probs[:3].argmax(axis=1)) == [0, 1, 2]
    assert probs[3].max() < 0.5  # the noise word says little
    assert np.allclose(probs.sum(axis=1), 1.0)


def test_logistic_regression_weighs_the_informative_feature() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 2))
    y = (x[:, 0] > 0).astype(float)  # only the first feature decides
    weights, _ = train_logistic(x, y)
    assert weights[0] > 1.0 and abs(weights[1]) < 0.3 * weights[0]


def test_auc_counts_pairs_and_ties() -> None:
    assert auc([0.1, 0.4, 0.35, 0.8], [False, False, True, True]) == 0.75
    assert auc([1.0, 1.0, 1.0], [False, True, True]) == 0.5  # ties count half
    assert auc([0.9, 0.1], [True, False]) == 1.0
    assert np.isnan(auc([0.3, 0.4], [True, True]))  # no negative: undefined


def test_sparse_rows_keep_their_boundaries() -> None:
    rows = SparseRows.of([[1, 2], [], [3]])
    assert len(rows) == 3
    assert list(rows.row_of_each_index()) == [0, 0, 2]


@pytest.mark.parametrize("bad", [[], [True]])
def test_auc_of_one_class_is_nan(bad: list[bool]) -> None:
    assert np.isnan(auc([0.5] * len(bad), bad))
