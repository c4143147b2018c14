"""The demo question on the real default corpus: the bottom line speaks of muscle spasms in
general (MedlinePlus "Muscle Cramps"), not of a narrower kind such as hemifacial spasm."""

from __future__ import annotations

import pytest

from medcite.compose import Composer
from medcite.config import Settings
from medcite.store.sqlite import SQLiteStore
from medcite.types import Audience, Intent


@pytest.fixture(scope="module")
def composer(default_corpus: tuple[SQLiteStore, Settings]) -> Composer:
    """One composer over the real default corpus for the module (loading it costs seconds)."""
    store, settings = default_corpus
    return Composer.open(store, settings)


def test_demo_bottom_line_leads_with_the_general_condition(composer: Composer) -> None:
    for audience in Audience:
        answer = composer.ask("What causes muscle spasms?", audience=audience, save=False)
        assert not answer.abstained
        first = answer.summary.items[0]
        ref = next(r for r in answer.references if r.n == first.citations[0])
        assert ref.title == "Muscle Cramps", (audience, ref.title)
        narrower = ("hemifacial", "infantile", "blepharospasm")
        for item in answer.summary.items:
            assert not any(word in item.text.lower() for word in narrower), item.text
        # the narrower kinds are still reported, below the bottom line
        rest = " ".join(i.text for s in answer.sections for i in s.items).lower()
        assert "hemifacial" in rest or "blepharospasm" in rest


def test_demo_causes_are_causes_and_say_whose_they_are(composer: Composer) -> None:
    answer = composer.ask("What causes muscle spasms?", save=False)
    sections = {s.key: s.items for s in answer.sections}
    causes = [i.text for i in sections["causes"]]
    # "Prinzmetal's variant angina is caused by coronary artery spasms": spasms are its cause,
    # and on its own page it speaks of that angina, as "Levator syndrome ... caused by spasm
    # of a muscle near the anus" does of rectal pain: neither is shown.
    shown = [i.text for i in answer.statements()]
    assert not any(t.startswith(("Prinzmetal", "Levator")) for t in shown), shown
    # a sentence speaking of "the condition" on a page about a kind of spasm says which kind
    unnamed = [i for s in answer.sections for i in s.items if i.text.startswith("The condition")]
    assert unnamed and all(i.topic == "Hemifacial Spasm" for i in unnamed), unnamed
    # Infantile spasms are seizures (MeSH places them under epilepsy, not under Spasm), and
    # the causes of the eyelid twitching that blepharospasm is "different from" are not its.
    everything = " ".join(i.text for i in answer.statements()).lower()
    assert "infantile spasm" not in everything
    assert not any("different from" in t for t in causes), causes


def test_demo_sentences_that_lean_on_others_carry_them(composer: Composer) -> None:
    answer = composer.ask("What causes muscle spasms?", save=False)
    items = {i.text: i for i in answer.statements()}
    # "Sometimes this malfunction ..." follows the sentence saying which malfunction: in the
    # bottom line, right after it (not again, as its lead-in, further down).
    bottom = [i.text for i in answer.summary.items]
    at = bottom.index("Muscle cramps can be caused by nerves that malfunction.")
    assert bottom[at + 1].startswith("Sometimes this malfunction")
    assert not any(i.lead_in for i in answer.statements() if i.text.startswith("Sometimes"))
    # "They often occur after exercise ..." on the Muscle Cramps page: they are muscle cramps
    they = [i for t, i in items.items() if t.startswith("They ")]
    assert they and all(i.topic == "Muscle Cramps" for i in they), they


def test_a_list_glued_to_its_lead_in_answers_the_question(composer: Composer) -> None:
    # The MedlinePlus diabetes page has "Common Signs Some common symptoms of diabetes are: -
    # being very thirsty\n- frequent urination ...": its list was lost before.
    answer = composer.ask("What are the symptoms of diabetes?", save=False)
    symptoms = next(s for s in answer.sections if s.key == "symptoms")
    first = next(i for i in symptoms.items if i.text == "being very thirsty")
    assert first.lead_in == "Some common symptoms of diabetes are:"
    assert "frequent urination" in [i.text for i in symptoms.items]
    assert all(i.supported for i in symptoms.items)
    # "What it is" says what diabetes is, not what it does ("It can damage your eyes ...")
    overview = next(s for s in answer.sections if s.key == "definition")
    assert overview.items and not any(i.text.startswith("It can") for i in overview.items)


def test_a_comparison_bottom_line_says_what_each_side_is(composer: Composer) -> None:
    answer = composer.ask("What is the difference between type 1 and type 2 diabetes?", save=False)
    first, second = (i.text for i in answer.summary.items)
    assert first.startswith("With type 1 diabetes,") and "type 2" not in first
    assert second.startswith("With type 2 diabetes,") and "type 1" not in second


def test_a_general_question_is_not_answered_from_a_narrower_page(composer: Composer) -> None:
    answer = composer.ask("What are the symptoms of high blood pressure?", save=False)
    titles = {r.n: r.title for r in answer.references}
    # "High Blood Pressure in Pregnancy" adds a word to the subject's name: a narrower case,
    # not the bottom line of a question on high blood pressure in general.
    bottom = [titles[i.citations[0]] for i in answer.summary.items]
    assert bottom and "High Blood Pressure in Pregnancy" not in bottom, bottom
    # "- Chronic Kidney Disease. This disease occurs when ...": "This disease" is the list
    # entry, not high blood pressure, so the sentence is not quoted; nor is a sentence inside
    # one entry shown as the lead-in of the next.
    texts = [i.text for i in answer.statements()]
    assert not any(t.startswith("This disease occurs") for t in texts), texts
    leads = {i.lead_in for i in answer.statements() if i.lead_in}
    assert (
        "The signs and symptoms that develop depend on the location of the aneurysm." not in leads
    )
    # "low blood pressure" shares two of three words with the subject but is a concept of its
    # own, and the page titled with it is not about high blood pressure
    assert not any("low blood pressure" in t.lower() for t in texts), texts


def test_a_name_sharing_words_with_the_subject_is_not_the_subject(composer: Composer) -> None:
    # Stuve-Wiedemann syndrome shares "Wiedemann syndrome" with the subject, but not the
    # word that tells the two apart.
    answer = composer.ask("I want information on Beckwith-Wiedemann syndrome.", save=False)
    texts = " ".join(i.text for i in answer.statements())
    assert "Beckwith-Wiedemann" in texts
    assert "Stuve" not in texts and "Stve" not in texts, texts


def test_a_symptom_bottom_line_names_symptoms(composer: Composer) -> None:
    answer = composer.ask("What are the symptoms of a heart attack?", save=False)
    first = answer.summary.items[0].text
    # not "The symptoms of a heart attack can vary from person to person."
    assert "chest pain" in first, first
    for item in answer.summary.items:
        assert "vary" not in item.text and "the same" not in item.text, item.text
    # "usually has no symptoms" is the answer for high blood pressure
    answer = composer.ask("What are the symptoms of high blood pressure?", save=False)
    assert "no symptoms" in answer.summary.items[0].text, answer.summary.items


def test_an_outlook_question_is_not_answered_with_advice(composer: Composer) -> None:
    # "Nebulized heparin cannot be recommended ... to hasten recovery from pneumonia ..." says
    # what to do, not whether pneumonia can kill
    answer = composer.ask("Is pneumonia deadly?", save=False)
    assert answer.intent is Intent.PROGNOSIS
    for item in answer.summary.items:
        assert "recommend" not in item.text, item.text


def test_a_cause_bottom_line_gives_the_usual_cause_first(composer: Composer) -> None:
    answer = composer.ask("What is the main cause of hypothyroidism?", save=False)
    first = answer.summary.items[0].text
    # not "Less commonly, hypothyroidism is caused by ...", and without the source's glued
    # footnote number ("... in the United States.1 Hashimotos disease is ...")
    assert "most common cause" in first and first.endswith("United States."), first


def test_a_bottom_line_says_when_no_source_answers_directly(composer: Composer) -> None:
    assert composer.ask("What causes muscle spasms?", save=False).summary.direct
    # The default corpus's only frozen-shoulder source is a treatment guideline: no sentence
    # says what aggravates it, and the bottom line says so instead of passing for an answer.
    answer = composer.ask("What aggravates frozen shoulder?", save=False)
    assert not answer.abstained and not answer.summary.direct


def test_a_yes_no_question_is_answered_first(composer: Composer) -> None:
    # "Is pink eye contagious?" is answered by what the sources say of its spreading, not by
    # what conjunctivitis is
    first = composer.ask("Is pink eye contagious?", save=False).summary.items[0].text
    assert "spread" in first, first
    first = composer.ask("Can you die from the flu?", save=False).summary.items[0].text
    assert "deadly" in first, first


def test_an_acronym_subject_is_required(composer: Composer) -> None:
    # "CFS" is not in the vocabulary; "lifelong" is the question's other rare word, and
    # "Behcet's disease is a lifelong disorder ..." is not about CFS
    answer = composer.ask("Is CFS a lifelong disease?", save=False)
    texts = [i.text for i in answer.statements()]
    assert texts and all("CFS" in t or "chronic fatigue" in t.lower() for t in texts[:1]), texts
    assert not any("Behcet" in t for t in texts), texts
