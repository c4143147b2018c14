"""Body-system categories from the MeSH tree, for cause items and for filing an answer."""

from __future__ import annotations

import pytest

from medcite.compose.categories import (
    OTHER_CAUSES,
    category_of_tree_numbers,
    cause_category,
    filed_under,
)
from medcite.retrieve.vocabulary import Vocabulary


@pytest.fixture(scope="module")
def vocabulary() -> Vocabulary:
    return Vocabulary()  # the packaged MeSH disease vocabulary, no corpus topics


def test_a_specific_body_system_wins_over_the_generic_branch() -> None:
    assert category_of_tree_numbers(["C23.888.592", "C10.597"]) == "Nervous system conditions"
    assert category_of_tree_numbers(["C23.888.592"]) == "General signs and conditions"
    assert category_of_tree_numbers(["D02.705"]) is None  # not a disease branch


def test_a_cause_is_the_concept_after_the_cue_not_the_condition_explained(
    vocabulary: Vocabulary,
) -> None:
    text = "Widget rash is caused by diabetes mellitus in this synthetic sentence."
    assert cause_category(text, vocabulary, exclude=set()) == category_of_tree_numbers(
        vocabulary.tree_numbers("diabetes mellitus")
    )
    assert cause_category("Widget rash is caused by glitter.", vocabulary, exclude=set()) == (
        OTHER_CAUSES
    )


def test_an_answer_is_filed_under_its_subject_else_its_first_placed_source_topic(
    vocabulary: Vocabulary,
) -> None:
    trees = vocabulary.tree_numbers("asthma")
    assert trees, "the packaged vocabulary places asthma"
    asthma = category_of_tree_numbers(trees)
    assert filed_under(["C10.597"], ["asthma"], vocabulary) == "Nervous system conditions"
    assert filed_under([], ["Glimmerpox", "asthma"], vocabulary) == asthma
    assert filed_under([], ["Glimmerpox"], vocabulary) is None
