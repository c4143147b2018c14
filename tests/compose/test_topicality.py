"""Pure topicality predicates of the composer."""

from __future__ import annotations

import pytest

from medcite.compose.candidates import content_stems
from medcite.compose.topicality import Focus, answers_intent, evades
from medcite.types import Intent


def _focus(subject: str, question: str, specific: frozenset[str] = frozenset()) -> Focus:
    names = [(content_stems(subject), 1.0)] if subject else []
    return Focus(subject or None, names, content_stems(question), specific=specific)


def test_aspect_is_what_the_question_asks_beyond_the_subject() -> None:
    focus = _focus("glimmerpox", "Is glimmerpox contagious in the robot workshop?")
    assert focus.aspect == content_stems("contagious robot workshop")
    assert focus.aspect_share("Glimmerpox is not contagious once panels dry.") == 0.5
    assert focus.aspect_share("Glimmerpox is contagious in a robot workshop.") == 1.0
    assert focus.aspect_share("Glimmerpox makes panels sparkle.") == 0.0


def test_a_partial_name_match_is_weighed_by_how_telling_the_words_are() -> None:
    focus = _focus("Zorblax-Quibble syndrome", "What is Zorblax-Quibble syndrome?")
    other = "Flimflam-Quibble syndrome makes robots hum."
    assert focus.match(other) == pytest.approx(2 / 3)  # two of three words
    # "zorblax" is what tells the two apart; "syndrome" is on every other page
    focus.idf = {"zorblax": 6.0, "quibbl": 5.0, "syndrom": 1.0}
    name = content_stems("Zorblax-Quibble syndrome")
    assert focus.share(name, content_stems(other)) == pytest.approx(0.5)
    assert focus.match(other) < 0.6  # below what a sentence needs to be on the subject
    assert focus.match("Zorblax-Quibble syndrome makes robots hum.") == 1.0
    # keeping the telling words of a name does not make a partial match count more
    assert focus.share(name, content_stems("Zorblax robots hum.")) == pytest.approx(1 / 3)
    assert focus.title_match("Flimflam-Quibble Syndrome") < focus.title_match("Zorblax Syndrome")


def test_name_words_found_in_every_passage_fall_back_to_the_plain_share() -> None:
    """A one-document corpus gives every name word idf 0: nothing to weigh, no division by 0."""
    focus = _focus("Quibble fever", "What causes quibble fever?")
    focus.idf = {"quibbl": 0.0, "fever": 0.0}
    name = content_stems("Quibble fever")
    assert focus.share(name, content_stems("Quibble fever is invented.")) == 1.0
    assert focus.share(name, content_stems("A fever of robots.")) == 0.5
    assert focus.title_match("Quibble Fever") == 1.0


def test_without_a_subject_there_is_no_aspect() -> None:
    focus = _focus("", "Is polishing safe for robots?")
    assert focus.aspect == frozenset()
    assert focus.aspect_share("Polishing robots is safe.") == 0.0


def test_specific_words_must_be_carried_when_there_are_any() -> None:
    focus = _focus("", "Does zibberfloxacin harm robots?", frozenset({"zibberfloxacin"}))
    assert not focus.carries_specific("Robots are harmed by glitter.", "Robot care")
    assert focus.carries_specific("Robots are harmed by glitter.", "Zibberfloxacin")  # its title
    assert _focus("", "Do robots sparkle?").carries_specific("Anything at all.")


def test_the_subject_named_only_after_caused_by_is_the_cause_of_something_else() -> None:
    from medcite.compose.topicality import subject_is_the_cause

    focus = _focus("glimmerpox", "What causes glimmerpox?")
    assert subject_is_the_cause("Wobble knee is caused by glimmerpox in robots.", focus)
    assert subject_is_the_cause("Panel pain due to glimmerpox is pretend.", focus)
    assert not subject_is_the_cause("Glimmerpox is caused by quorvantitis.", focus)
    assert not subject_is_the_cause("Quorvantitis can cause glimmerpox.", focus)  # no such cue
    assert not subject_is_the_cause("The condition is caused by glitter.", focus)  # unnamed
    assert not subject_is_the_cause("Wobble knee is caused by glitter.", focus)  # not named
    assert not subject_is_the_cause("Glimmerpox is caused by glimmerpox dust.", focus)
    assert not subject_is_the_cause("Wobble knee is caused by glimmerpox.", _focus("", "x y"))


@pytest.mark.parametrize(
    ("question", "sides"),
    [
        (
            "What is the difference between type 1 and type 2 widgetitis?",
            ("type 1 widgetitis", "type 2 widgetitis"),
        ),
        (
            "What are the differences between a glimmerpox and the sparkle fatigue?",
            ("glimmerpox", "sparkle fatigue"),
        ),
        ("Wobble oil vs glitter paste for glimmerpox?", ("Wobble oil", "glitter paste")),
        ("Is panel rust compared with panel dust worse?", ("panel rust", "panel dust")),
        ("How is glimmerpox treated?", None),
        ("What is the difference between glimmerpox and glimmerpox?", None),
    ],
)
def test_the_two_sides_of_a_comparison(question: str, sides: tuple[str, str] | None) -> None:
    from medcite.compose.topicality import comparison_sides

    assert comparison_sides(question) == sides


def test_which_side_of_a_comparison_a_sentence_is_about() -> None:
    from medcite.compose.topicality import speaks_of

    one, two = content_stems("type 1 widgetitis"), content_stems("type 2 widgetitis")
    assert speaks_of("With type 1 widgetitis, robot panels do not glow.", one, two) == 2
    assert speaks_of("Type 1 widgetitis is a made-up robot condition.", one, two) == 2
    assert speaks_of("The signs of type 1 widgetitis come slowly.", one, two) == 1
    assert speaks_of("Type 1 widgetitis is rarer than type 2 widgetitis.", one, two) == 0
    assert speaks_of("If you get type 1 widgetitis, rest.", one, two) == 1


@pytest.mark.parametrize(
    ("sentence", "points"),
    [
        ("This is called panel glow.", True),
        ("These sparkles fade by morning.", True),
        ("However, these robots recover.", True),
        ("For example, antennas wobble.", True),
        ("In such cases, panels dim.", True),
        ("Those sparkles stay.", True),
        ("Sometimes this glitch is due to a loose antenna.", True),
        ("Signs of this form of glimmerpox fade by morning.", True),
        ("Glimmerpox comes in two types of sparkle.", False),
        ("It is harmless in this fixture.", False),  # the page's topic
        ("This condition makes panels dim.", False),  # the page's topic
        ("Those who polish robots see sparkles.", False),
        ("However, some sparkles stay.", False),  # a connective reads alone
        ("Another cause is too much glitter.", False),
        ("Glimmerpox fades by morning.", False),
    ],
)
def test_sentences_that_point_back_to_the_one_before(sentence: str, points: bool) -> None:
    from medcite.compose.topicality import points_back

    assert points_back(sentence) is points


def test_a_cause_after_a_contrast_is_the_other_sides() -> None:
    assert answers_intent(Intent.CAUSE, "Glimmerpox is caused by loose bolts.")
    # the cause named belongs to the twitching that glimmerpox is set against
    other = "Glimmerpox is different from the panel twitching that can be caused by dust."
    assert not answers_intent(Intent.CAUSE, other)
    assert not answers_intent(Intent.CAUSE, "Unlike rustbloom, which is caused by rain, ...")
    # a cause named before the contrast is the subject's own
    both = "Glimmerpox is caused by loose bolts, unlike rustbloom."
    assert answers_intent(Intent.CAUSE, both)


def test_a_symptom_answer_says_what_the_symptoms_are() -> None:
    says = (
        "The most common symptom of glimmerpox is a sparkling panel.",
        "Early signs of glimmerpox include humming and blinking.",
        "Glimmerpox usually has no symptoms.",
        "Initial symptoms of glimmerpox may begin with a hum.",
    )
    for text in says:
        assert answers_intent(Intent.SYMPTOM, text), text
    # how symptoms vary, or the line before a list, says none of them
    says_none = (
        "The symptoms of glimmerpox can vary from robot to robot.",
        "The warning signs of glimmerpox aren't the same for every robot.",
        "Some glimmerpox symptoms are similar to rustbloom symptoms.",
        "Here are common signs and symptoms of glimmerpox.",
        "Glimmerpox makes panels sparkle.",
    )
    for text in says_none:
        assert not answers_intent(Intent.SYMPTOM, text), text


def test_advice_is_not_an_outlook_a_cause_or_a_definition() -> None:
    assert answers_intent(Intent.PROGNOSIS, "Most robots with glimmerpox recover in a week.")
    advice = "Polish cannot be recommended to hasten recovery from glimmerpox."
    assert evades(Intent.PROGNOSIS, advice)
    assert not answers_intent(Intent.PROGNOSIS, advice)
    should = "Robots with glimmerpox caused by dust should be polished."
    assert not answers_intent(Intent.CAUSE, should)
    assert evades(Intent.DEFINITION, "Glimmerpox should be reported.")
    # advice does answer a treatment question
    assert not evades(Intent.TREATMENT, "Robots with glimmerpox should be polished.")


def test_numbers_alone_do_not_match_the_question() -> None:
    focus = _focus("panel disorders", "What are the 3 types of panel disorders?")
    # "type 3" and "disorder" are three of the question's four words, but the number is no name
    assert focus.match("Glimmerpox type 3 is a disorder of robot arms.") < 0.6
    assert focus.match("Panel disorders are a group of robot faults.") >= 0.6


def test_an_aspect_is_carried_by_the_words_sources_use_for_it() -> None:
    focus = _focus("glimmerpox", "Is glimmerpox contagious?")
    assert focus.aspect_share("Glimmerpox can spread from robot to robot.") == 1.0
    assert focus.aspect_share("Glimmerpox cannot be passed from one robot to another.") == 1.0
    assert focus.aspect_share("Glimmerpox makes panels sparkle.") == 0.0
    hereditary = _focus("glimmerpox", "Is glimmerpox hereditary?")
    assert hereditary.aspect_share("Glimmerpox is inherited from the factory.") == 1.0
