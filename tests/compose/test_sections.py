"""Section plans for questions that ask one thing or several."""

from __future__ import annotations

from medcite.compose.sections import SECTION_PLANS, answer_keys_of, plan_for
from medcite.types import Intent


def test_one_intent_gets_its_own_plan() -> None:
    assert plan_for([Intent.CAUSE]) == SECTION_PLANS[Intent.CAUSE]
    assert plan_for([]) == SECTION_PLANS[Intent.DEFINITION]


def test_other_intents_add_the_sections_that_answer_them() -> None:
    plan = plan_for([Intent.CAUSE, Intent.PREVENTION, Intent.DEFINITION])
    keys = [s.key for s in plan]
    assert keys[0] == "definition"  # what it is leads, as an overview
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
