"""The learned subject model: its threshold rule, the shipped weights, and the rule scorer
dropping what the model finds about another subject (and saying why)."""

from __future__ import annotations

import pytest

from medcite.learn.subject import FEATURES, MODEL_FILE, SubjectModel
from medcite.learn.train_subject import choose_threshold


def test_the_threshold_is_the_one_whose_answers_show_least_off_the_subject() -> None:
    def rate(threshold: float, off: float, abstained: int = 0) -> dict[str, float]:
        return {"threshold": threshold, "abstained": abstained, "off_subject": off}

    rates = [rate(0.05, 0.070), rate(0.1, 0.061), rate(0.2, 0.068), rate(0.5, 0.080)]
    assert choose_threshold(rates) == 0.1
    # Equal to a tenth of a point: the more permissive shows more.
    assert choose_threshold([rate(0.1, 0.0612), rate(0.3, 0.0608), rate(0.5, 0.09)]) == 0.3
    # Not by abstaining more than the most permissive threshold does.
    strict = [rate(0.05, 0.03, abstained=4), rate(0.1, 0.05, abstained=1), rate(0.3, 0.07)]
    assert choose_threshold([*strict, rate(0.5, 0.09)]) == 0.3


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
