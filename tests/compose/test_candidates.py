"""Which sentences of a passage may be quoted at all."""

from __future__ import annotations

import pytest

from medcite.compose.candidates import extract
from medcite.types import DocType, Evidence, EvidenceLevel, Passage, StoredDocument

DOC = StoredDocument(
    id=1,
    source="medquad",
    source_id="synthetic-1",
    title="Glimmerpox",
    doc_type=DocType.REFERENCE,
    evidence_level=EvidenceLevel.CURATED_REFERENCE,
)


def _texts(text: str, kind: str = "treatment") -> list[str]:
    passage = Passage(id=7, document_id=1, ord=0, text=text, char_start=0, char_end=len(text))
    passage.meta = {"qtype": kind}
    return [c.text for c in extract([Evidence(passage=passage, document=DOC, score=1.0)])]


def test_items_of_a_link_list_are_not_statements() -> None:
    text = (
        "These resources address the diagnosis or management of glimmerpox:\n"
        "- Robot Testing Registry: Glimmerpox\n"
        "- Synthetic Encyclopedia: Glimmerpox\n"
        "\n"
        "Glimmerpox sparkles fade when test robots rest in the shade:\n"
        "- Dim the workshop lights\n"
    )
    assert _texts(text) == ["Dim the workshop lights"]


def _candidates(text: str) -> dict[str, str | None]:
    passage = Passage(id=7, document_id=1, ord=0, text=text, char_start=0, char_end=len(text))
    passage.meta = {"qtype": "symptoms"}
    return {
        c.text: c.lead_in for c in extract([Evidence(passage=passage, document=DOC, score=1.0)])
    }


@pytest.mark.parametrize(
    "opening",
    [
        "Robot complaints include:\n- Antenna droop.",
        "Here are the robot complaints and their signs. - Antenna droop.",  # glued first entry
    ],
)
def test_sentences_inside_a_list_entry_belong_to_that_entry(opening: str) -> None:
    text = (
        f"{opening} This droop occurs when antennas bend. Signs include dull panels in the "
        "pretend workshop.\n- Panel fade\n- Beep loss"
    )
    found = _candidates(text)
    # "This droop ..." speaks of its entry, which a quote without it would not say
    assert not any(t.startswith("This droop") for t in found), found
    assert "Signs include dull panels in the pretend workshop." in found
    # the next entries still belong to the list, not to the sentence inside the entry before
    lead = "Robot complaints include:" if opening.startswith("Robot") else None
    assert found["Panel fade"] == lead and found["Beep loss"] == lead


# Sentences that point elsewhere or describe the source itself, each set followed by the
# statements (synthetic) that must still be quoted from the same passage.
POINTERS = (
    "Refer to the original guideline document for the robot polishing schedule. "
    "Definitions for the levels of glitter are provided at the end of the table. "
    "The intended audience for the GTR is robot makers. "
    "Learn more about glimmerpox here. Get more details about panel tests. "
    "For more information about panel care, go to the Pretend Robot Institute's guide. "
    "You can read about the signs of glimmerpox from the Pretend Robot Institute. "
    "Polishing robot panels twice a day makes glimmerpox sparkles last longer."
)
# GARD opens the symptom table of ~2,200 pages with the same note on reading it.
SYMPTOM_TABLE_NOTE = (
    "Glimmerpox makes robot panels sparkle. "
    "The Human Phenotype Ontology provides the following list of signs and symptoms for "
    "Glimmerpox. If the information is available, the table below includes how often the "
    "symptom is seen in people with this condition. You can use the MedlinePlus Medical "
    "Dictionary to look up the definitions for these medical terms. Much of this "
    "information comes from Orphanet, a European rare disease database. The frequency of a "
    "sign or symptom is usually listed as a rough estimate. The frequency may also be "
    "listed as a fraction. The first number of the fraction is how many people had the "
    "symptom. For example, a frequency of 25/25 means that all had it. Because these "
    "frequencies are based on a specific study, the fractions may differ. Sometimes, no "
    "information on frequency is available. In these cases, the sign or symptom may be rare "
    "or common. Glimmerpox sparkles are seen in most test robots."
)
GUIDELINE_SELF_NOTES = (
    "Healthcare professionals are expected to take the robot guidance fully into account. "
    "Implementation of this guidance is the responsibility of local workshops. "
    "These criteria are intended to guide robot mechanics. "
    "Potential effects of glitter are a factor when selecting the appropriate imaging. "
    "The RRLs for these panel scans are designated as Varies. "
    "There is high certainty that the net benefit is substantial. "
    "Some recommendations can be made with more certainty than others. "
    "Differences of opinion: None. (Level of Evidence: B) "
    "Rating Scale: 1,2,3 Usually not polished. "
    "Other panel checks are not considered in this document. "
    "Glimmerpox sparkles fade when test robots rest in the shade."
)


@pytest.mark.parametrize(
    ("text", "kind", "statements"),
    [
        (
            POINTERS,
            "Major Recommendations",
            ["Polishing robot panels twice a day makes glimmerpox sparkles last longer."],
        ),
        (
            SYMPTOM_TABLE_NOTE,
            "symptoms",
            [
                "Glimmerpox makes robot panels sparkle.",
                "Glimmerpox sparkles are seen in most test robots.",
            ],
        ),
        (
            GUIDELINE_SELF_NOTES,
            "Qualifying Statements",
            ["Glimmerpox sparkles fade when test robots rest in the shade."],
        ),
    ],
    ids=["pointers", "gard-symptom-table-note", "guideline-self-notes"],
)
def test_pointers_and_notes_about_the_source_are_not_statements(
    text: str, kind: str, statements: list[str]
) -> None:
    assert _texts(text, kind) == statements


def test_a_heading_glued_to_its_sentence_is_not_quoted_with_it() -> None:
    text = (
        "Glimmerpox sparkles fade in the shade. Stages of Glimmerpox Glimmerpox can pass "
        "through three invented stages. Strength Overall Strength Strength Visual Grade."
    )
    passage_texts = _texts(text)
    assert "Glimmerpox can pass through three invented stages." in passage_texts
    assert not any(t.startswith("Stages of") for t in passage_texts)
    # a repeated word not followed by a sentence is not a heading: quoted whole or not at all
    assert not any(t.startswith("Strength Visual") for t in passage_texts)


@pytest.mark.parametrize(
    ("sentence", "quoted"),
    [
        (
            "Tests for Widgetrash Widgetrash is found with a synthetic panel check.",
            "Widgetrash is found with a synthetic panel check.",
        ),
        (
            "Common Signs Common signs of widgetrash are loud.",
            "Common signs of widgetrash are loud.",
        ),
        ("Tests for Widgetrash The following checks find it.", "The following checks find it."),
        ("Polish the Panels If panels dim, polish them.", "If panels dim, polish them."),
        ("Summary : Widgetrash is a made-up panel fault.", "Widgetrash is a made-up panel fault."),
        # a term defined after its name keeps the name: it says what is defined
        ("Panel scan : A check in which robot panels are read.", None),
        ("Widget rash is found with a synthetic panel check.", None),
        ("Talk About About Past Treatment of robots.", None),
        ("Robot Panels The Second is a made-up title.", None),  # "The Second": no sentence
    ],
)
def test_the_quoted_span_without_its_heading_is_verbatim_in_the_passage(
    sentence: str, quoted: str | None
) -> None:
    from medcite.compose.candidates import heading_length

    n = heading_length(sentence)
    assert sentence[n:] == (quoted or sentence)


def test_a_list_glued_to_its_lead_in_is_read_as_a_list() -> None:
    # MedQuAD pages glue a list's first item to the sentence that introduces it and repeat the
    # whole list, flattened, after its last item.
    text = (
        "Common Signs Some common signs of glimmerpox are: - panel sparkle\n"
        "- antenna wobble\n"
        "- dim lights. panel sparkle antenna wobble dim lights.\n"
        "Glimmerpox fades by the next morning in this fixture."
    )
    passage = Passage(id=7, document_id=1, ord=0, text=text, char_start=0, char_end=len(text))
    found = extract([Evidence(passage=passage, document=DOC, score=1.0)])
    lead = "Some common signs of glimmerpox are:"
    assert [(c.text, c.lead_in) for c in found if c.list_item] == [
        ("panel sparkle", lead),
        ("antenna wobble", lead),
        ("dim lights.", lead),
    ]
    assert [c.text for c in found if not c.list_item] == [
        "Glimmerpox fades by the next morning in this fixture."
    ]
    assert all(text[c.start : c.end] == c.text for c in found)


def test_a_guideline_field_with_no_value_is_not_a_statement() -> None:
    text = (
        "Recommendation profile for test robots:\n"
        "- Intentional vagueness: None\n"
        "- Harms: None\n"
        "- Brand name products: None available\n"
        "- Benefits: shinier robot panels in the pretend lab\n"
    )
    assert _texts(text) == ["Benefits: shinier robot panels in the pretend lab"]
