"""Section plans for questions that ask one thing or several."""

from __future__ import annotations

import pytest

from medcite.compose.sections import (
    ABOUT,
    SECTION_PLANS,
    answer_keys_of,
    cue_keys,
    plan_for,
    section_for,
)
from medcite.types import Intent


def test_one_intent_gets_its_own_plan_led_by_a_short_overview() -> None:
    assert plan_for([Intent.CAUSE]) == (ABOUT, *SECTION_PLANS[Intent.CAUSE])
    # plans that already say what the subject is keep their own overview
    assert plan_for([Intent.SYMPTOM]) == SECTION_PLANS[Intent.SYMPTOM]
    assert plan_for([]) == SECTION_PLANS[Intent.DEFINITION]


def test_the_added_overview_takes_definitions_by_cue_not_by_passage_kind() -> None:
    plan = plan_for([Intent.CAUSE])
    assert section_for({"definition"}, "information", plan) == "definition"
    # an "information" passage's other sentences are not thereby definitions
    assert section_for(set(), "information", plan) is None
    # when the question asks what it is, the overview is the asked-for one and takes both
    asked = plan_for([Intent.CAUSE, Intent.DEFINITION])
    assert ABOUT not in asked
    assert section_for(set(), "information", asked) == "definition"


def test_a_sentence_cued_for_a_missing_section_does_not_follow_its_passage_kind() -> None:
    plan = plan_for([Intent.TREATMENT])
    # a diagnosis recommendation is not a treatment for sitting among the recommendations
    assert section_for({"diagnosis"}, "Major Recommendations", plan) is None
    assert section_for(set(), "Major Recommendations", plan) == "treatment"
    # cues too common to place a sentence ("common") do not stop the passage kind
    assert section_for({"frequency"}, "Major Recommendations", plan) == "treatment"


@pytest.mark.parametrize(
    "sentence",
    [
        "Bone scans are not routinely used in the evaluation of widget rash.",
        "FDG-PET/CT is not routinely used for widget rash.",
        "A sample does not rule out a second widget fault.",
        "Ultrasonography shows the widget gland.",
    ],
)
def test_imaging_and_evaluation_sentences_are_cued_as_diagnosis(sentence: str) -> None:
    # so a guideline's imaging advice is not listed among treatments for sitting in its
    # recommendations
    assert "diagnosis" in cue_keys(sentence)
    assert (
        section_for(cue_keys(sentence), "Major Recommendations", plan_for([Intent.TREATMENT]))
        != "treatment"
    )


def test_a_pet_is_not_a_scan() -> None:
    assert "diagnosis" not in cue_keys("Pet dander can bother robot panels.")


@pytest.mark.parametrize(
    ("sentence", "advice"),
    [
        ("Gentle stretching can calm robot joints.", True),
        ("Stretch the antenna before a test run.", True),
        ("Get plenty of rest after a long test run.", True),
        ("When a robot is at rest, its panels dim.", False),
        ("Panel seams stretch so sparkles spread more easily.", False),
    ],
)
def test_self_care_cues_are_advice_not_description(sentence: str, advice: bool) -> None:
    assert ("self_care" in cue_keys(sentence)) is advice


def test_harm_as_a_verb_is_not_a_side_effect() -> None:
    assert "harms" not in cue_keys("Glimmerpox can harm robot panels over time.")
    assert "harms" in cue_keys("The potential harms of polishing include dull panels.")


def test_other_intents_add_the_sections_that_answer_them() -> None:
    plan = plan_for([Intent.CAUSE, Intent.PREVENTION, Intent.DEFINITION])
    keys = [s.key for s in plan]
    assert keys[0] == "definition"  # what it is leads, as an overview
    assert plan[0].title == "Overview"  # the asked-for overview, not the short one
    assert keys[1:7] == [s.key for s in SECTION_PLANS[Intent.CAUSE]]
    assert keys[-1] == "prevention"  # then what the other question asks
    assert len(keys) == len(set(keys))


def test_a_shared_section_keeps_the_main_title_and_the_larger_count() -> None:
    plan = plan_for([Intent.DEFINITION, Intent.TREATMENT])
    treatment = next(s for s in plan if s.key == "treatment")
    main = next(s for s in SECTION_PLANS[Intent.DEFINITION] if s.key == "treatment")
    other = next(s for s in SECTION_PLANS[Intent.TREATMENT] if s.key == "treatment")
    assert treatment.title == main.title
    assert treatment.max_items == max(main.max_items, other.max_items) > main.max_items


def test_answer_keys_cover_every_intent() -> None:
    assert answer_keys_of([Intent.CAUSE, Intent.TREATMENT]) == {
        "causes",
        "mechanism",
        "treatment",
        "self_care",
    }
