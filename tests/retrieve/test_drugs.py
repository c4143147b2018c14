from __future__ import annotations

import sys
from pathlib import Path

import pytest

from medcite.config import Settings
from medcite.retrieve.drugs import (
    corpus_has_source,
    drug_mentions,
    names_drug,
    uncovered_drugs,
)
from medcite.retrieve.hybrid import HybridRetriever
from medcite.store.sqlite import SQLiteStore
from tests.conftest import ingest_folder

# Synthetic passages that name real drug words as plain test tokens: no claim about any drug.
NOTES = """---
focus: Drug Word Fixture
---
# Drug Word Fixture

This synthetic test passage contains the tokens metformin and clonidine, nothing else.

A second synthetic line holds the token calcium, then filler words, then carbonate.

A third synthetic line holds the hyphenated token 5-FU.
"""


def names(question: str) -> list[str]:
    return [m.name for m in drug_mentions(question)]


def test_generic_and_brand_names_are_found_as_written() -> None:
    found = drug_mentions("Can I take GLUCOPHAGE with advil, or with metformin itself?")
    assert [(m.name, m.surface) for m in found] == [
        ("Metformin", "GLUCOPHAGE"),
        ("Ibuprofen", "advil"),
    ]
    metformin = found[0]
    assert "metformin" in metformin.names and "glucophage" in metformin.synonyms
    assert metformin.ids["mesh"].startswith("D") and metformin.ids["drugbank"].startswith("DB")
    assert hash(metformin)  # usable in sets despite its ids dict


def test_the_longest_name_wins() -> None:
    assert names("Is vitamin D useful?") == ["Ergocalciferol"]
    assert names("St. John’s wort and sertraline") == ["St. John's Wort", "Sertraline"]


def test_a_salt_or_form_carries_its_base_drug() -> None:
    (salt,) = drug_mentions("rosuvastatin calcium")
    assert salt.name == "Rosuvastatin Calcium" and "rosuvastatin" in salt.names
    assert drug_mentions("magnesium citrate")[0].inner == ()  # no drug starts that name


def test_common_words_are_not_drugs() -> None:
    question = "Today, can pain aid, alcohol, caffeine, oxygen, water or a vitamin help my caps?"
    assert drug_mentions(question) == []
    assert drug_mentions("what caps at 10 mg") == []


def test_everyday_words_count_when_capitalised_mid_sentence() -> None:
    assert names("Are clear eyes a good sign?") == []
    assert names("Are Clear Eyes drops safe?") == ["Naphazoline"]
    assert names("Clear eyes matter.") == []  # a capital that starts the sentence says nothing


def test_the_package_module_is_never_imported() -> None:
    drug_mentions("aspirin")
    assert "drug_named_entity_recognition" not in sys.modules


def test_names_drug_matches_whole_words_by_any_name() -> None:
    (metformin,) = drug_mentions("metformin")
    assert names_drug("Glucophage, twice a day in this synthetic line.", metformin)
    assert not names_drug("The token submetformin is made up.", metformin)


@pytest.fixture
def drug_store(tmp_path: Path, store: SQLiteStore, settings: Settings) -> SQLiteStore:
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "drug-words.md").write_text(NOTES, encoding="utf-8")
    ingest_folder(store, settings, folder)
    return store


@pytest.mark.parametrize("searched_first", [False, True])
def test_coverage_follows_the_corpus(
    drug_store: SQLiteStore, settings: Settings, searched_first: bool
) -> None:
    retriever = HybridRetriever.open(drug_store, settings)
    if searched_first:
        retriever.search("synthetic test passage", 3)  # the retriever's own reader is used
    has_source = corpus_has_source(retriever)
    assert has_source(["metformin"])
    assert has_source(["Glucophage", "METFORMIN"])  # any name, any case
    assert not has_source(["aclidinium"])
    assert not has_source(["calcium carbonate"])  # both words, but not as a phrase
    assert has_source(["5-fu"])  # two index tokens, found as a phrase
    assert not has_source([])

    assert uncovered_drugs("how to apply a clonidine patch", has_source) == []  # its base drug

    question = "Can I take Glucophage with Tudorza?"
    assert [m.name for m in uncovered_drugs(question, has_source)] == ["Aclidinium"]


def test_a_misspelt_drug_name_is_corrected_to_one_the_corpus_knows() -> None:
    from medcite.retrieve.drugs import correct_drug_spelling

    corpus = {"oxybutynin", "lisinopril", "gabapentine", "robot", "dose"}

    def known(word: str) -> bool:
        return word.lower() in corpus

    assert correct_drug_spelling("A dose of oxybutinin for a robot?", known) == (
        "A dose of oxybutynin for a robot?"
    )
    # a dropped first letter, written with a capital
    assert correct_drug_spelling("Isinopril for a robot?", known) == "Lisinopril for a robot?"
    # nothing to correct: known words, a drug name the corpus lacks, no drug near enough
    assert correct_drug_spelling("A robot dose", known) is None
    assert correct_drug_spelling("Is metformin fine?", known) is None
    assert correct_drug_spelling("Is zqxwvbl fine?", known) is None
    # a drug the corpus does not know is no correction either
    corpus.discard("oxybutynin")
    assert correct_drug_spelling("A dose of oxybutinin?", known) is None
