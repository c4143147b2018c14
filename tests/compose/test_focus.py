"""Whether a text names the question's subject or only another concept sharing its words,
decided with the MeSH names and tree places the product ships (no corpus needed)."""

from __future__ import annotations

import pytest

from medcite.compose.candidates import content_stems
from medcite.compose.focus import _acronyms, names_another
from medcite.compose.topicality import Focus
from medcite.retrieve.vocabulary import Vocabulary


@pytest.fixture(scope="module")
def vocabulary() -> Vocabulary:
    return Vocabulary()


def _focus(vocabulary: Vocabulary, asked: str, heading: str, *, places: bool = True) -> Focus:
    names = [(content_stems(asked), 1.0), (content_stems(heading), 0.95)]
    trees = vocabulary.tree_numbers(heading) if places else []
    assert not places or trees, heading
    return Focus(asked, names, content_stems(asked), trees)


def test_a_homonym_placed_apart_in_mesh_does_not_name_the_subject(vocabulary: Vocabulary) -> None:
    spasm = _focus(vocabulary, "muscle spasms", "Spasm")
    # "Spasms, Infantile" holds the subject's name but sits under epilepsy, not under Spasm
    assert names_another("Infantile spasms are named in this sentence.", spasm, vocabulary)
    # a kind of spasm (MeSH places hemifacial spasm below Spasm) still names the subject
    assert not names_another("Hemifacial spasm is named in this sentence.", spasm, vocabulary)
    # the subject named on its own beside the homonym still counts
    assert not names_another("Infantile spasms differ from muscle spasms.", spasm, vocabulary)
    diabetes = _focus(vocabulary, "diabetes", "Diabetes Mellitus")
    assert names_another("Diabetes insipidus is named in this sentence.", diabetes, vocabulary)
    assert not names_another("Gestational diabetes is named here.", diabetes, vocabulary)
    assert not names_another("Diabetes is named in this sentence.", diabetes, vocabulary)


def test_without_mesh_places_a_whole_name_always_names_the_subject(
    vocabulary: Vocabulary,
) -> None:
    spasm = _focus(vocabulary, "muscle spasms", "Spasm", places=False)
    assert not names_another("Infantile spasms are named in this sentence.", spasm, vocabulary)


def test_words_shared_with_another_concept_do_not_name_the_subject(
    vocabulary: Vocabulary,
) -> None:
    pressure = _focus(vocabulary, "high blood pressure", "Hypertension")
    assert names_another("Low blood pressure is named in this sentence.", pressure, vocabulary)
    assert not names_another("High blood pressure is named here.", pressure, vocabulary)


def test_acronyms_are_the_words_written_in_capitals() -> None:
    assert _acronyms("Is ZQX a lifelong glitch?") == content_stems("zqx")
    assert _acronyms("What does B12 do in the US?") == content_stems("b12")
    assert _acronyms("Is it OK to polish robots?") == frozenset()
