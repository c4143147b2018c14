"""The learned subject model: its threshold rule, the shipped weights, and the rule scorer
dropping what the model finds about another subject (and saying why)."""

from __future__ import annotations

import pytest

from medcite.learn.subject import FEATURES, MODEL_FILE, SubjectModel
from medcite.learn.train_subject import MAX_ON_LOSS, choose_threshold


def test_the_threshold_drops_at_most_a_tenth_of_what_is_on_the_subject() -> None:
    on = [i / 100 for i in range(100)]  # on the subject, probabilities 0.00 .. 0.99
    off = [0.95, 0.97, 0.5]
    threshold = choose_threshold(on + off, [False] * 100 + [True] * 3)
    dropped_on = sum(p > threshold for p in on)
    assert dropped_on <= MAX_ON_LOSS * 100 and dropped_on >= MAX_ON_LOSS * 100 - 1
    assert sum(p > threshold for p in off) == 2  # the two surest off-subject ones
    assert choose_threshold([0.3], [True]) == 1.0  # nothing on the subject to weigh against


@pytest.mark.skipif(not MODEL_FILE.exists(), reason="make train has not built the subject model")
def test_the_shipped_model_weighs_the_rule_scorers_features() -> None:
    model = SubjectModel.load()
    assert model.linear.features == FEATURES
    assert 0 < model.threshold <= 1
    about = {name: 0.0 for name in FEATURES} | {
        "names the subject": 1.0,
        "names it as asked": 1.0,
        "page about the subject": 1.0,
        "page on the subject": 1.0,
        "question words carried": 0.8,
        "names its page's topic": 1.0,
    }
    # On a consumer page about something else, carrying none of the question's words and not
    # the drug or concept the subject was narrowed to, though its page names it somewhere.
    elsewhere = {name: 0.0 for name in FEATURES} | {
        "subject named late": 1.0,
        "narrowed subject": 1.0,
        "names its page's topic": 1.0,
        "consumer or reference page": 1.0,
    }
    assert model.off_subject(about) < model.threshold < model.off_subject(elsewhere)
    assert [name for name, _ in model.explain(elsewhere)]
