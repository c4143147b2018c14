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


class Shares:
    """Passage shares of index terms, as a retriever reports them (only what narrowing reads)."""

    def __init__(self, shares: dict[str, float]) -> None:
        self.shares = shares
        self.vocabulary = Vocabulary()

    def passage_share(self, term: str) -> float:
        return self.shares.get(term, 0.0)


def test_a_broad_concept_is_narrowed_to_the_rarer_words_that_name_the_subject() -> None:
    from medcite.compose.focus import narrow_to_specific
    from medcite.retrieve.drugs import drug_mentions

    broad = Focus("infections", [(content_stems("infections"), 1.0)], content_stems("x"))
    # A word no passage holds right before the concept's name: a subject the sources lack.
    shares = Shares({"infect": 0.07, "drug": 0.08, "use": 0.3})
    question = "What are Zorbl infections and what drugs are used?"
    narrowed = narrow_to_specific(broad, question, [], shares, "infections")  # type: ignore[arg-type]
    assert narrowed.specific == content_stems("zorbl") and narrowed.subject == "Zorbl"
    # An acronym written in capitals, rarer than the common concept, is the subject.
    shares = Shares({"infect": 0.07, "zqx": 0.001, "spread": 0.002, "skin": 0.03})
    question = "Can ZQX infections spread through the skin?"
    narrowed = narrow_to_specific(broad, question, [], shares, "infections")  # type: ignore[arg-type]
    assert narrowed.specific == content_stems("zqx") and not narrowed.guessed
    # Else the question's rarest words, picked for rarity alone: no name for follow-ups.
    shares = Shares({"infect": 0.07, "crush": 0.001, "spread": 0.002, "skin": 0.03})
    question = "Can crushing infections spread through the skin?"
    narrowed = narrow_to_specific(broad, question, [], shares, "infections")  # type: ignore[arg-type]
    assert "crush" in narrowed.specific and narrowed.guessed
    # A drug the question names is its subject, by any of its names.
    question = "What are the side effects of metformin?"
    drugs = drug_mentions(question)
    assert [d.name.lower() for d in drugs] == ["metformin"]
    shares = Shares({"side": 0.03, "effect": 0.15, "metformin": 0.001})
    effects = Focus("side effects", [(content_stems("side effects"), 1.0)], content_stems("x"))
    narrowed = narrow_to_specific(effects, question, drugs, shares, "side effects")  # type: ignore[arg-type]
    assert "metformin" in narrowed.specific and "effect" not in narrowed.specific
    # A concept as rare as the question's other words stays as it is.
    rare = Focus("zorbl", [(content_stems("zorbl"), 1.0)], content_stems("x"))
    shares = Shares({"zorbl": 0.0001, "night": 0.02})
    same = narrow_to_specific(rare, "Why does zorbl flare at night?", [], shares, "zorbl")  # type: ignore[arg-type]
    assert same.specific == frozenset()


def test_a_drug_narrows_the_subject_by_its_names_only_when_specific() -> None:
    from medcite.compose.focus import narrow_to_specific
    from medcite.retrieve.drugs import drug_mentions

    broad = Focus("safety", [(content_stems("safety"), 1.0)], content_stems("x"))
    # A brand no passage holds: its generic name carries the subject.
    question = "Is Qvar safe for a test robot?"
    shares = Shares({"safeti": 0.02, "qvar": 0.0, "beclomethason": 0.001})
    narrowed = narrow_to_specific(broad, question, drug_mentions(question), shares, "safety")  # type: ignore[arg-type]
    assert narrowed.specific == content_stems("beclomethasone")
    # A drug as common as the concept ("calcium") does not narrow it, whatever its brands.
    question = "Is a calcium supplement safe for a test robot?"
    shares = Shares({"safeti": 0.02, "calcium": 0.03, "supplement": 0.02, "tum": 0.0001})
    narrowed = narrow_to_specific(broad, question, drug_mentions(question), shares, "safety")  # type: ignore[arg-type]
    assert narrowed.specific == frozenset()
    # With one specific drug, every other drug the question names that is rarer than the
    # concept is its subject too.
    question = "Is diclofenac safe with other NSAIDs for a test robot?"
    shares = Shares({"safeti": 0.02, "diclofenac": 0.0001, "nsaid": 0.006})
    narrowed = narrow_to_specific(broad, question, drug_mentions(question), shares, "safety")  # type: ignore[arg-type]
    assert narrowed.specific == content_stems("diclofenac nsaids")


def test_a_rarer_concept_of_several_words_is_carried_by_its_rarest_word() -> None:
    from medcite.compose.focus import narrow_to_specific

    broad = Focus("infections", [(content_stems("infections"), 1.0)], content_stems("x"))
    question = "Can Lassa fever infections spread to test robots?"
    shares = Shares({"infect": 0.07, "lassa": 0.0001, "fever": 0.004, "spread": 0.002})
    narrowed = narrow_to_specific(broad, question, [], shares, "infections")  # type: ignore[arg-type]
    # "fever" alone would let sentences on any fever through
    assert narrowed.specific == content_stems("lassa")
    assert content_stems("lassa fever") in [n for n, _ in narrowed.names]
