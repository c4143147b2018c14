"""Evidence gathered by relation: for "What causes S?", the other conditions whose own symptom
pages name S, quoted from those pages (synthetic robot conditions, no medical content)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from medcite.compose import Composer
from medcite.config import Settings
from medcite.store.sqlite import SQLiteStore
from tests.conftest import ingest_folder

_DOC = """<?xml version="1.0" encoding="UTF-8"?>
<Document id="{id}" source="GARD" url="https://example.org/synthetic/{id}">
<Focus>{name}</Focus>
<FocusAnnotations><Category>Disease</Category></FocusAnnotations>
<QAPairs>{pairs}</QAPairs>
</Document>
"""
_PAIR = """<QAPair pid="{n}"><Question qid="{id}-{n}" qtype="{qtype}">{q}</Question>
<Answer>{a}</Answer></QAPair>"""

PAGES = {
    "Wobblitis": [
        ("information", "Wobblitis is an invented shaking of test robot legs in this fixture."),
        (
            "causes",
            "Wobblitis is caused by loose bolts in this made-up story. Other causes of "
            "wobblitis are       - Dusty robot gears    - Cold oil in robot joints",
        ),
    ],
    "Shakeosis": [
        ("information", "Shakeosis is a sudden wobblitis of the arms of toy robots."),
    ],
    "Gear rust disease": [
        ("information", "Gear rust disease is an invented fault of robot gears."),
        (
            "symptoms",
            "Robots with gear rust disease squeak. Gear rust disease can bring on "
            "wobblitis in old robots.",
        ),
    ],
    "Zorp syndrome": [
        ("information", "Zorp syndrome is a pretend fault of robot lamps."),
        (
            "symptoms",
            "Signs of zorp syndrome in this fixture include:       - Dim lamps    - Sudden shakeosis",
        ),
    ],
    "Blink fever": [
        ("information", "Blink fever is an invented fault of robot screens."),
        ("symptoms", "Blink fever makes screens flicker in test robots."),
    ],
}


@pytest.fixture
def composer(tmp_path: Path) -> Iterator[Composer]:
    folder = tmp_path / "medquad" / "1_Synthetic_QA"
    folder.mkdir(parents=True)
    for number, (name, pairs) in enumerate(PAGES.items(), 301):
        doc_id = f"0000{number}"
        text = "".join(
            _PAIR.format(n=n, id=doc_id, qtype=qtype, q=f"What about {name}?", a=answer)
            for n, (qtype, answer) in enumerate(pairs, 1)
        )
        (folder / f"{doc_id}.xml").write_text(
            _DOC.format(id=doc_id, name=name, pairs=text), "utf-8"
        )
    settings = Settings(home=tmp_path / "home", mirror=None)
    with SQLiteStore(settings.db_path) as store:
        assert ingest_folder(store, settings, tmp_path / "medquad").ok
        yield Composer.open(store, settings)


def test_a_cause_question_gathers_the_conditions_that_list_the_subject(
    composer: Composer,
) -> None:
    answer = composer.ask("What causes wobblitis?", save=False)
    assert not answer.abstained
    related = next(s for s in answer.sections if s.key == "related_conditions")
    assert "wobblitis" in related.title
    by_topic = {i.topic: i for i in related.items}
    # named on another condition's symptom page; and a kind of the subject (its page defines
    # shakeosis as a wobblitis) listed on a third; not a condition whose page does not name it
    assert set(by_topic) == {"Gear rust disease", "Zorp syndrome"}
    assert by_topic["Gear rust disease"].text == (
        "Gear rust disease can bring on wobblitis in old robots."
    )
    assert by_topic["Zorp syndrome"].text == "Sudden shakeosis"
    # quoted verbatim from the cited passage, like every statement
    passages = composer.store.get_passages_by_id([i.passage_id for i in related.items])
    for item in related.items:
        start, end = item.span
        assert passages[item.passage_id].text[start:end] == item.text and item.supported
    # after the causes
    keys = [s.key for s in answer.sections]
    assert keys.index("related_conditions") == keys.index("causes") + 1


def test_other_questions_gather_nothing_by_relation(composer: Composer) -> None:
    answer = composer.ask("How is wobblitis treated?", save=False)
    assert all(s.key != "related_conditions" for s in answer.sections)
