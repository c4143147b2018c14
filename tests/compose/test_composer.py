"""The composer on a real store holding obviously synthetic documents."""

from __future__ import annotations

from pathlib import Path

import pytest

from medcite.compose import Composer
from medcite.compose.topicality import definition_head
from medcite.config import Settings
from medcite.errors import QueryError
from medcite.store.sqlite import SQLiteStore
from medcite.types import Audience, Intent
from tests.conftest import ingest_folder


def test_cause_question_gets_quoted_cited_sections(composer: Composer) -> None:
    answer = composer.ask("What causes glimmerpox?", save=False)
    assert not answer.abstained
    assert answer.intent is Intent.CAUSE
    assert answer.summary.items, "a bottom line"
    assert "caused by quorvantitis" in answer.summary.text
    causes = next(s for s in answer.sections if s.key == "causes")
    texts = [i.text for i in causes.items]
    assert "Too much glitter in the test lab" in texts  # list items under a cause lead-in
    # every statement is verbatim in the passage it cites, and verified as such
    passages = composer.store.get_passages_by_id([i.passage_id for i in answer.statements()])
    for item in answer.statements():
        start, end = item.span
        assert passages[item.passage_id].text[start:end] == item.text
        assert item.supported
    assert answer.support_rate == 1.0


def test_an_answer_says_first_what_the_subject_is_and_only_the_subject(
    composer: Composer,
) -> None:
    answer = composer.ask("What causes glimmerpox?", save=False)
    overview = answer.sections[0]
    assert (overview.key, overview.title) == ("definition", "What it is")
    texts = [i.text for i in overview.items]
    assert texts[0].startswith("Glimmerpox is an invented rash of test robots")
    # a definition of something else on the same pages does not define the subject
    assert not any(t.startswith(("Quorvantitis", "Sparkle fatigue")) for t in texts)
    # nor does a sentence of the defining passage that is not itself a definition
    assert "It makes robot panels sparkle for a few days." not in texts


def test_references_are_numbered_in_citation_order_and_all_cited(composer: Composer) -> None:
    answer = composer.ask("What causes glimmerpox?", save=False)
    numbers = [r.n for r in answer.references]
    assert numbers == list(range(1, len(numbers) + 1))
    cited = {n for i in answer.statements() for n in i.citations}
    cited |= {g.citation for i in answer.statements() for g in i.glosses}
    cited |= {f.citation for f in answer.red_flags if f.citation}
    assert cited == set(numbers)
    ref = answer.references[0]
    assert ref.type_label and ref.evidence_label and ref.url and ref.url.startswith("https://")


def test_patient_mode_glosses_technical_terms_from_a_cited_definition(composer: Composer) -> None:
    answer = composer.ask("What causes glimmerpox?", audience=Audience.PATIENT, save=False)
    glosses = [g for i in answer.statements() for g in i.glosses]
    assert glosses, "quorvantitis should be glossed"
    gloss = glosses[0]
    assert gloss.term.lower() == "quorvantitis"
    assert gloss.text.startswith("Quorvantitis is a pretend swelling")
    assert gloss.supported
    clinician = composer.ask("What causes glimmerpox?", audience=Audience.CLINICIAN, save=False)
    assert not [g for i in clinician.statements() for g in i.glosses]


def test_red_flag_banner_from_question_and_from_quoted_sentence(composer: Composer) -> None:
    answer = composer.ask("I have chest pain, what causes glimmerpox?", save=False)
    assert answer.red_flags[0].trigger == "chest pain or pressure"
    assert answer.red_flags[0].found_in == "question"
    assert "emergency" in answer.red_flags[0].advice
    # ... also when the sources have nothing to answer with
    unanswered = composer.ask("I have chest pain, what causes frobnitz elbow?", save=False)
    assert unanswered.abstained
    assert [f.trigger for f in unanswered.red_flags] == ["chest pain or pressure"]
    symptoms = composer.ask("What are the symptoms of glimmerpox?", save=False)
    flags = {f.trigger: f for f in symptoms.red_flags}
    assert "chest pain or pressure" in flags
    assert flags["chest pain or pressure"].citation is not None


def test_evidence_note_sets_a_guideline_against_a_consumer_claim(composer: Composer) -> None:
    answer = composer.ask("How is glimmerpox treated?", save=False)
    assert answer.evidence_notes
    note = answer.evidence_notes[0]
    assert note.stronger_type == "Guideline"
    assert "insufficient" in note.stronger.text
    assert note.weaker is not None and note.weaker_type == "Consumer health"
    assert "Stretching" in note.weaker.text


def test_abstains_when_the_corpus_does_not_cover_the_question(composer: Composer) -> None:
    answer = composer.ask("What causes frobnitz elbow in astronauts?", save=False)
    assert answer.abstained
    assert answer.abstain_reason and "ingest" in answer.abstain_reason.lower()
    assert not answer.sections and not answer.references and not answer.summary.items


def test_follow_up_is_understood_in_context(composer: Composer) -> None:
    first = composer.ask("What causes glimmerpox?")
    follow = composer.ask("what about sunshine?", follow_up_of=first.id)
    assert follow.follow_up_of == first.id
    assert follow.intent is Intent.CAUSE  # inherited: the follow-up names no intent
    assert "glimmerpox" in follow.effective_question.lower()
    assert not follow.abstained
    assert composer.store.get_answer(follow.id) is not None
    with pytest.raises(QueryError):
        composer.ask("and then?", follow_up_of="nosuchid")


def test_follow_up_suggestions_and_metadata(composer: Composer) -> None:
    answer = composer.ask("What causes glimmerpox?", save=False)
    assert answer.follow_up_suggestions
    assert all("glimmerpox" in q for q in answer.follow_up_suggestions)
    assert not any(q.startswith("What causes") for q in answer.follow_up_suggestions)
    assert answer.reading_grade is not None
    assert set(answer.timings_ms) == {"retrieve", "compose", "total"}
    assert answer.disclaimer


def test_clinician_and_patient_get_different_disclaimers(composer: Composer) -> None:
    patient = composer.ask("What causes glimmerpox?", audience=Audience.PATIENT, save=False)
    clinician = composer.ask("What causes glimmerpox?", audience=Audience.CLINICIAN, save=False)
    assert patient.disclaimer != clinician.disclaimer


_CONSUMER = """---
focus: Wobblitis
doc_type: consumer
---
# Wobblitis

Wobblitis is an invented shaking of test robot legs in this synthetic fixture.

Wobblitis is treated by tightening the leg bolts of the test robot.

Most robots with wobblitis recover after their bolts are tightened.
"""
_GUIDELINE = """---
focus: Wobblitis
doc_type: guideline
year: 2024
---
# Synthetic guideline on wobblitis in test robots

Treatment with bolt grease is recommended for wobblitis in older test robots (synthetic grade B).

Robots with wobblitis should be treated with a leg brace when grease fails (synthetic grade C).

This synthetic guideline was written by a pretend panel of robot mechanics.
"""


def test_clinicians_read_what_guidelines_and_research_say_first(tmp_path: Path) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "wobblitis.md").write_text(_CONSUMER, "utf-8")
    (folder / "wobblitis-guideline.md").write_text(_GUIDELINE, "utf-8")
    settings = Settings(home=tmp_path / "home", mirror=None)
    with SQLiteStore(settings.db_path) as store:
        assert ingest_folder(store, settings, folder).ok
        composer = Composer.open(store, settings)
        question = "How is wobblitis treated?"
        clinician = composer.ask(question, audience=Audience.CLINICIAN, save=False)
        first = clinician.sections[0]
        assert (first.key, first.title) == ("studies", "What guidelines and research say")
        refs = {r.n: r for r in clinician.references}
        assert first.items
        assert all(refs[i.citations[0]].type_label == "Guideline" for i in first.items)
        # what a treatment question asks, not the guideline's asides
        assert not any("pretend panel" in i.text for i in first.items)
        patient = composer.ask(question, audience=Audience.PATIENT, save=False)
        assert all(s.key != "studies" for s in patient.sections)


def test_gloss_memory_is_bounded_and_most_recent_first(composer: Composer) -> None:
    finder = composer.glosses
    finder.MAX_CACHED = 3  # instance override of the class bound
    found = finder.definition("quorvantitis", "Quorvantitis")
    assert found is not None
    for n in range(5):
        assert finder.definition(f"synthetic-term-{n}", f"Synthetic concept {n}") is None
        assert len(finder._cache) <= 3
    assert "quorvantitis" not in finder._cache  # the oldest entry went first
    assert finder.definition("quorvantitis", "Quorvantitis") == found  # and comes back intact


@pytest.mark.parametrize(
    ("sentence", "leans"),
    [
        ("For example, synthetic widgets can cause glimmerpox.", True),
        ("These include glitter and fake sunshine.", True),
        ("As a result, robots sparkle.", True),
        ("Glimmerpox is caused by quorvantitis.", False),
        ("Thermal widgets cause glimmerpox.", False),  # "The..." words are not openers
        ("Other causes of glimmerpox are listed below.", True),
    ],
)
def test_sentences_that_point_back_do_not_lead_the_bottom_line(sentence: str, leans: bool) -> None:
    from medcite.compose.topicality import leans_on_context

    assert leans_on_context(sentence) is leans


def test_a_question_asking_two_things_gets_both_answered(composer: Composer) -> None:
    answer = composer.ask("What is glimmerpox and how is it treated?", save=False)
    assert answer.intent is Intent.TREATMENT and answer.also_asks == [Intent.DEFINITION]
    summary = answer.summary.text
    assert "Glimmerpox is an invented rash" in summary  # what it is
    assert "Stretching the glimmer gland" in summary  # how it is treated
    assert summary.startswith("Glimmerpox is an invented rash")  # what it is comes first
    keys = [s.key for s in answer.sections]
    assert keys.index("definition") < keys.index("treatment") if "definition" in keys else True
    assert "What is glimmerpox" not in " ".join(answer.follow_up_suggestions)
    assert all(i.supported for i in answer.statements())


def test_a_misspelt_subject_is_found_and_answered(composer: Composer) -> None:
    answer = composer.ask("What causes glimerpox?", save=False)
    assert not answer.abstained
    assert answer.focus is not None and answer.focus.lower() == "glimmerpox"
    assert answer.effective_question == "What causes glimmerpox?"
    assert answer.question == "What causes glimerpox?"  # shown as asked
    assert "caused by quorvantitis" in answer.summary.text


def test_a_page_on_the_subject_lends_it_sentences_that_do_not_name_it(composer: Composer) -> None:
    answer = composer.ask("What is glimmerpox?", save=False)
    texts = [i.text for i in answer.statements()]
    assert "It makes robot panels sparkle for a few days." in texts
    assert "It makes robot panels" not in answer.summary.text  # points back: not a lead


@pytest.mark.parametrize(
    ("sentence", "head"),
    [
        ("Zorblax is a rare condition characterized by sparkles.", "Zorblax is a rare condition "),
        ("Glitter itches are sudden sparkles in robot panels.", None),  # all of it says what it is
        ("Glimmerpox is a rash that makes panels sparkle.", "Glimmerpox is a rash "),
    ],
)
def test_definition_head_stops_where_the_definition_turns_to_features(
    sentence: str, head: str | None
) -> None:
    assert definition_head(sentence) == (head if head is not None else sentence)


@pytest.mark.parametrize(
    ("sentence", "quotable"),
    [
        ("To determine whether zorblax is more common in synthetic robots.", False),
        ("To evaluate glimmerpox outcomes in test labs over ten years.", False),
        ("Zorblax was more common in synthetic robots than in test dolls.", True),
    ],
)
def test_a_study_aim_is_not_quoted_as_a_finding(sentence: str, quotable: bool) -> None:
    from medcite.compose.candidates import _quotable

    assert _quotable(sentence, is_item=False) is quotable


def test_a_subject_the_corpus_does_not_know_is_not_answered_from_common_words(
    composer: Composer,
) -> None:
    # No concept, and the one word that names the subject is in no passage: sentences that
    # share "robot panels sparkle" with the question are not about it.
    answer = composer.ask("Does zibberfloxacin make robot panels sparkle?", save=False)
    assert answer.abstained
    assert "no source to quote" in answer.disclaimer
    # a known subject keeps the usual disclaimer
    assert "quotes the sources" in composer.ask("What is glimmerpox?", save=False).disclaimer


def test_without_a_concept_the_rarest_question_words_name_the_subject(
    composer: Composer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from medcite.compose.focus import question_focus

    # The fixture corpus is tiny: every word is in a large share of its passages.
    monkeypatch.setattr("medcite.compose.focus.SPECIFIC_SHARE", 0.2)
    _, analysis = composer.retriever.search("Is polishing safe for robots in 2 oz doses?")
    assert analysis.focus is None
    focus = question_focus(analysis, analysis.text, composer.retriever, composer.store)
    assert "polish" in focus.specific  # in one passage
    assert "robot" not in focus.specific  # in most of them
    assert not focus.specific & {"2", "oz"}  # numbers and units name nothing


def test_a_run_of_list_entries_carries_the_sentence_that_introduces_it(composer: Composer) -> None:
    from medcite.compose.render import render

    answer = composer.ask("What are the symptoms of sparkle fatigue?", save=False)
    entries = [
        i
        for s in answer.sections
        for i in s.items
        if i.text
        in {"Dim panels in this pretend example", "Slow beeping at night", "Wobbly antennas"}
    ]
    assert len(entries) == 3, [i.text for s in answer.sections for i in s.items]
    lead = "Sparkle fatigue signs in test robots may include"
    assert entries[0].lead_in == lead  # once, on the first entry of the run
    assert entries[1].lead_in is None and entries[2].lead_in is None
    assert all(i.supported for i in answer.statements())
    assert f"*{lead} …* " in render(answer, "markdown")
    assert f'<span class="lead-in">{lead} …</span>' in render(answer, "html")
    # the lead-in is checked against the passage like the entry itself
    entries[0].lead_in = "Sparkle fatigue signs in every robot include"
    from medcite.verify.support import verify_answer

    verify_answer(
        answer, composer.store.get_passages_by_id([i.passage_id for i in answer.statements()])
    )
    assert not entries[0].supported and entries[1].supported


def test_a_rare_word_of_one_topic_name_makes_that_topic_the_subject(
    composer: Composer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # "glitter" names no concept on its own, but only the topic Glimmerpox has it (in its
    # synonym "Glitter itch") and the corpus uses it on Glimmerpox pages. The tiny fixture
    # corpus makes every word common, so the rarity bar is raised for the test.
    monkeypatch.setattr("medcite.compose.focus.SPECIFIC_SHARE", 1.0)
    question = "Is glitter worse for old robots?"
    answer = composer.ask(question, save=False)
    assert answer.focus == "Glimmerpox"
    assert any(i.text.startswith("Glimmerpox is an invented rash") for i in answer.statements())
    # where the word is spread over other topics' pages it names none of them
    monkeypatch.setattr("medcite.compose.focus.TOPIC_WORD_SHARE", 1.01)
    assert composer.ask(question, save=False).focus is None


def test_sentences_about_another_pages_topic_are_not_quoted_for_the_subject(
    composer: Composer,
) -> None:
    # The Sparkle fatigue page's "the condition" and "It" mean sparkle fatigue, not glimmerpox:
    # quoted in an answer on glimmerpox they would read as being about glimmerpox.
    answer = composer.ask("What causes glimmerpox?", save=False)
    texts = [i.text for i in answer.statements()]
    assert not any(t.startswith(("As the condition progresses", "It can be caused")) for t in texts)
    assert any(t.startswith("Glimmerpox is an invented rash") for t in texts)


@pytest.mark.parametrize(
    ("sentence", "refers"),
    [
        ("As the condition progresses, robots wobble.", True),
        ("It is inherited by test robots.", True),
        ("This disorder makes panels dim.", True),
        ("Its panels go dim.", True),
        ("Glimmerpox is caused by quorvantitis.", False),
        ("Itchy panels are common in glimmerpox.", False),  # "It" only as a whole word
    ],
)
def test_sentences_that_speak_of_their_pages_topic_without_naming_it(
    sentence: str, refers: bool
) -> None:
    from medcite.compose.candidates import refers_to_page_topic

    assert refers_to_page_topic(sentence) is refers


def test_the_bottom_line_names_the_subject_and_bare_sentences_are_left_out(
    composer: Composer,
) -> None:
    answer = composer.ask("How is sparkle fatigue treated?", save=False)
    # "Robot mechanics treat the dim panels ..." answers, but only its page says whose panels:
    # it goes to the treatment section, not the bottom line, which names the subject.
    assert "Robot mechanics" not in answer.summary.text
    assert "Sparkle fatigue" in answer.summary.text
    treatment = next(s for s in answer.sections if s.key == "treatment")
    assert any(i.text.startswith("Robot mechanics treat") for i in treatment.items)
    # A sentence with nothing of its own to say is not quoted at all.
    assert not any("usually not needed" in i.text for i in answer.statements())


def test_a_condition_the_subject_causes_is_not_a_cause(composer: Composer) -> None:
    # "Sparkle fatigue ... is caused by glimmerpox" says what glimmerpox does, not what
    # causes it, and on sparkle fatigue's own page it is about sparkle fatigue: the answer to
    # "What causes glimmerpox?" leaves it out (it had been filed as a risk factor).
    answer = composer.ask("What causes glimmerpox?", save=False, explain=True)
    consequence = "Sparkle fatigue in some test units is caused by glimmerpox"
    assert not any(i.text.startswith(consequence) for i in answer.statements())
    notes = [n for n in answer.explanation or [] if n.text.startswith(consequence)]
    assert notes and all("the subject causes" in (n.reason or "") for n in notes)
    # asked about sparkle fatigue, the same sentence names its cause
    other = composer.ask("What causes sparkle fatigue?", save=False)
    assert consequence in other.summary.text or any(
        i.text.startswith(consequence) for s in other.sections if s.key == "causes" for i in s.items
    )


def test_a_sentence_that_points_back_is_shown_with_the_one_it_follows() -> None:
    from medcite.compose.candidates import extract
    from medcite.compose.composer import follow_on
    from medcite.types import Evidence, Passage
    from tests.compose.test_candidates import DOC

    text = (
        "Glimmerpox panels glow at night. This is called the panel glow. Such glows dim at "
        "noon. Glimmerpox fades by the next morning. These sparkles stay on a while. It is "
        "harmless in this fixture."
    )
    passage = Passage(id=7, document_id=1, ord=0, text=text, char_start=0, char_end=len(text))
    evidence = Evidence(passage=passage, document=DOC, score=1.0)
    pool = extract([evidence])
    glow, called, such, fades, however, harmless = pool
    # right after the sentence it follows: no context needed
    assert follow_on([glow, called], pool) == [(glow, None), (called, None)]
    assert follow_on([fades, however], pool) == [(fades, None), (however, None)]
    # elsewhere it carries that sentence as its context ("This is called ..." names what?)
    assert follow_on([called], pool) == [(called, glow)]
    assert follow_on([glow, however], pool) == [(glow, None), (however, fades)]
    assert follow_on([called]) == []  # nothing it could point back to: left out
    assert follow_on([such], pool) == []  # what it follows points back too: no clearer
    assert follow_on([harmless], pool) == [(harmless, None)]  # "It" is the page's topic


def test_patient_mode_folds_away_a_list_entry_whose_lead_in_is_too_hard(
    composer: Composer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from medcite.readability import flesch_kincaid_grade

    question = "What are the symptoms of sparkle fatigue?"
    lead = "Sparkle fatigue signs in test robots may include"

    def entries(audience: Audience) -> list[tuple[str, bool]]:
        answer = composer.ask(question, audience=audience, save=False)
        return [(i.text, i.technical) for i in answer.statements() if i.text == "Wobbly antennas"]

    assert entries(Audience.PATIENT) == [("Wobbly antennas", False)]
    # "Wobbly antennas" is too short to grade, but it is shown after its lead-in: a lead-in
    # harder than patient mode allows makes the entry technical (shown folded, not dropped:
    # what it says is still in the answer); clinicians get it as found.
    monkeypatch.setattr(
        "medcite.compose.rule_scorer.PATIENT_MAX_GRADE", flesch_kincaid_grade(lead) - 0.1
    )
    assert entries(Audience.PATIENT) == [("Wobbly antennas", True)]
    assert entries(Audience.CLINICIAN) == [("Wobbly antennas", False)]


def test_patient_bottom_line_prefers_a_plain_sentence(
    composer: Composer, monkeypatch: pytest.MonkeyPatch
) -> None:
    question = "What are the symptoms of sparkle fatigue?"
    plain = composer.ask(question, save=False)
    assert plain.summary.items and not any(i.technical for i in plain.summary.items)
    # Every sentence above grade 0 is technical now: the bottom line still answers (from
    # technical sentences, as nothing plainer is left), and sections fold them all away.
    monkeypatch.setattr("medcite.compose.rule_scorer.PATIENT_MAX_GRADE", -100.0)
    folded = composer.ask(question, save=False)
    assert not folded.abstained
    assert all(i.technical for s in folded.sections for i in s.items)


def test_abstains_naming_a_drug_no_source_names(composer: Composer) -> None:
    # The synthetic corpus names no real drug: an answer would have to speak of something else.
    answer = composer.ask("Can valsartan cause glimmerpox?", save=False)
    assert answer.abstained
    assert answer.abstain_reason and "valsartan" in answer.abstain_reason
    assert not answer.sections and not answer.summary.items
    # Without the drug it is about glimmerpox, which the sources cover.
    assert not composer.ask("What can cause glimmerpox?", save=False).abstained


_ACRONYM_TOPIC = """<?xml version="1.0" encoding="UTF-8"?>
<Document id="{id}" source="GARD" url="https://example.org/synthetic/{slug}">
<Focus>{name}</Focus>
<FocusAnnotations><Category>Disease</Category>
<Synonyms><Synonym>ZGX</Synonym></Synonyms></FocusAnnotations>
<QAPairs>{pairs}</QAPairs>
</Document>
"""
_PAIR = """<QAPair pid="{n}"><Question qid="{id}-{n}" qtype="{qtype}">{q}</Question>
<Answer>{a}</Answer></QAPair>"""


def test_an_acronym_names_the_topic_the_corpus_spells_it_out_for(tmp_path: Path) -> None:
    # Two synthetic topics list "ZGX" among their names; the passages holding "ZGX" spell out
    # only one of them, so a question writing "ZGX" is about that one.
    folder = tmp_path / "medquad" / "1_Synthetic_QA"
    folder.mkdir(parents=True)
    zorblax = [
        (
            "information",
            "What is ZGX?",
            "Zorblax gland syndrome (ZGX) is an invented fault of "
            "test robots. It exists only in this synthetic fixture.",
        ),
        (
            "causes",
            "What causes ZGX?",
            "Zorblax gland syndrome (ZGX) is caused by dusty zorblax glands in this made-up story.",
        ),
        (
            "treatment",
            "How is ZGX treated?",
            "Robots with zorblax gland syndrome (ZGX) are "
            "wiped with a soft cloth in this pretend example.",
        ),
    ]
    other = [
        (
            "information",
            "What is it?",
            "Zeta glow sickness makes invented lamps blink in this synthetic fixture.",
        )
    ]
    for doc_id, name, pairs in (
        ("0000201", "Zorblax gland syndrome", zorblax),
        ("0000202", "Zeta glow sickness", other),
    ):
        text = "".join(
            _PAIR.format(n=n, id=doc_id, qtype=t, q=q, a=a) for n, (t, q, a) in enumerate(pairs, 1)
        )
        slug = name.lower().replace(" ", "-")
        (folder / f"{doc_id}.xml").write_text(
            _ACRONYM_TOPIC.format(id=doc_id, slug=slug, name=name, pairs=text), "utf-8"
        )
    settings = Settings(home=tmp_path / "home", mirror=None)
    with SQLiteStore(settings.db_path) as store:
        assert ingest_folder(store, settings, tmp_path / "medquad").ok
        composer = Composer.open(store, settings)
        answer = composer.ask("Can dust bring on early ZGX?", save=False)
        assert not answer.abstained
        assert answer.focus == "Zorblax gland syndrome"  # named in full, not "ZGX"
        titles = {r.title for r in answer.references}
        assert titles and all("Zeta" not in t for t in titles)
