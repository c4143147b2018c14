"""Dropping statements from a composed answer keeps every citation pointing at its source."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from medcite.compose import Composer
from medcite.config import Settings
from medcite.errors import InvalidRequestError
from medcite.review.editing import drop_items, item_refs, renumber_references
from medcite.store.sqlite import SQLiteStore
from medcite.types import Answer, AnswerItem, Audience, DocType
from tests.conftest import FIXTURES, ingest_folder

CAUSE = "What causes glimmerpox?"
TREAT = "How is glimmerpox treated?"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[SQLiteStore, Composer]]:
    settings = Settings(home=tmp_path_factory.mktemp("editing") / "home", mirror=None)
    with SQLiteStore(settings.db_path) as store:
        report = ingest_folder(store, settings, FIXTURES / "compose")
        assert report.ok, report.errors
        yield store, Composer.open(store, settings)


@pytest.fixture(scope="module")
def answers(corpus: tuple[SQLiteStore, Composer]) -> dict[str, Answer]:
    _, composer = corpus
    out = {
        "cause": composer.ask(CAUSE, audience=Audience.CLINICIAN, save=False),
        "patient": composer.ask(CAUSE, audience=Audience.PATIENT, save=False),
        "treat": composer.ask(TREAT, audience=Audience.CLINICIAN, save=False),
    }
    for answer in out.values():
        assert not answer.abstained and len(answer.references) >= 2
    return out


def _key(item: AnswerItem) -> tuple[int, tuple[int, int], str]:
    """What identifies a statement across a copy: the passage span it quotes."""
    return (item.passage_id, tuple(item.span), item.text)  # type: ignore[return-value]


def _docs(answer: Answer, numbers: list[int]) -> list[int]:
    by_n = {r.n: r.document_id for r in answer.references}
    return [by_n[n] for n in numbers]


def assert_consistent(store: SQLiteStore, answer: Answer) -> None:
    """References are 1..n, every one is cited, and every citation is to the quoted passage's document."""
    numbers = [r.n for r in answer.references]
    assert numbers == list(range(1, len(numbers) + 1))
    items = answer.statements()
    glosses = [g for i in items for g in i.glosses]
    cited = {n for i in items for n in i.citations} | {g.citation for g in glosses}
    cited |= {f.citation for f in answer.red_flags if f.citation is not None}
    assert cited == set(numbers), "every reference cited, no citation dangling"
    refs = {r.n: r for r in answer.references}
    passages = store.get_passages_by_id(
        [i.passage_id for i in items] + [g.passage_id for g in glosses]
    )
    for item in items:
        assert refs[item.citations[0]].document_id == passages[item.passage_id].document_id
    for gloss in glosses:
        assert refs[gloss.citation].document_id == passages[gloss.passage_id].document_id
    assert answer.summary.citations == sorted(
        {n for i in answer.summary.items for n in i.citations}
    )
    assert answer.summary.text == " ".join(i.text for i in answer.summary.items)
    years = [r.year for r in answer.references if r.year]
    assert answer.last_updated == (max(years) if years else None)


def assert_same_sources(before: Answer, after: Answer) -> None:
    """Each surviving statement, gloss and red flag cites the same documents as before."""
    old = {_key(i): i for i in before.statements()}
    for item in after.statements():
        was = old[_key(item)]
        assert _docs(after, item.citations) == _docs(before, was.citations)
        for g_new, g_old in zip(item.glosses, was.glosses, strict=True):
            assert g_new.term == g_old.term
            assert _docs(after, [g_new.citation]) == _docs(before, [g_old.citation])
    assert len(after.red_flags) == len(before.red_flags)
    for f_new, f_old in zip(after.red_flags, before.red_flags, strict=True):
        assert f_new.trigger == f_old.trigger
        if f_old.citation is None:
            assert f_new.citation is None
        else:
            assert f_new.citation is not None
            assert _docs(after, [f_new.citation]) == _docs(before, [f_old.citation])
    # References keep their relative order.
    old_order = [r.document_id for r in before.references]
    new_order = [r.document_id for r in after.references]
    assert new_order == [d for d in old_order if d in set(new_order)]


def test_fixture_answers_are_consistent(
    corpus: tuple[SQLiteStore, Composer], answers: dict[str, Answer]
) -> None:
    for answer in answers.values():
        assert_consistent(corpus[0], answer)


def test_item_refs_name_every_droppable_statement(answers: dict[str, Answer]) -> None:
    answer = answers["cause"]
    refs = item_refs(answer)
    assert refs["summary:0"] is answer.summary.items[0]
    causes = next(s for s in answer.sections if s.key == "causes")
    for i, item in enumerate(causes.items):
        assert refs[f"causes:{i}"] is item
    assert refs["note:0"] is answer.evidence_notes[0].stronger
    expected = len(answer.summary.items) + sum(len(s.items) for s in answer.sections)
    assert len(refs) == expected + len(answer.evidence_notes)


def test_drop_removes_the_statements_and_leaves_the_original(answers: dict[str, Answer]) -> None:
    answer = answers["cause"]
    snapshot = answer.model_dump()
    causes = next(s for s in answer.sections if s.key == "causes")
    out = drop_items(answer, ["causes:1"])
    assert answer.model_dump() == snapshot, "the input answer is not modified"
    new_causes = next(s for s in out.sections if s.key == "causes")
    assert [i.text for i in new_causes.items] == [causes.items[0].text, causes.items[2].text]
    assert causes.items[1].text not in {i.text for i in out.statements()}
    assert len(out.statements()) == len(answer.statements()) - 1
    assert out.id == answer.id and out.question == answer.question


def test_emptied_sections_disappear(
    corpus: tuple[SQLiteStore, Composer], answers: dict[str, Answer]
) -> None:
    answer = answers["cause"]
    causes = next(s for s in answer.sections if s.key == "causes")
    out = drop_items(answer, [f"causes:{i}" for i in range(len(causes.items))])
    assert "causes" not in [s.key for s in out.sections]
    assert [s.key for s in out.sections] == [s.key for s in answer.sections if s.key != "causes"]
    assert_consistent(corpus[0], out)


def test_dropping_the_summary_rebuilds_it(
    corpus: tuple[SQLiteStore, Composer], answers: dict[str, Answer]
) -> None:
    out = drop_items(answers["cause"], ["summary:0"])
    assert out.summary.items == [] and out.summary.text == "" and out.summary.citations == []
    assert_consistent(corpus[0], out)


def test_references_cited_by_nothing_are_removed_and_the_rest_renumbered(
    corpus: tuple[SQLiteStore, Composer], answers: dict[str, Answer]
) -> None:
    # In the treatment answer, reference 1 is the guideline; red flags cite reference 2.
    answer = answers["treat"]
    assert answer.red_flags and all(f.citation == 2 for f in answer.red_flags)
    first_doc = answer.references[0].document_id
    citing_first = [ref for ref, item in item_refs(answer).items() if 1 in item.citations]
    note_weaker = [n.weaker for n in answer.evidence_notes if n.weaker is not None]
    assert citing_first and all(1 not in w.citations for w in note_weaker)
    out = drop_items(answer, citing_first)
    assert first_doc not in [r.document_id for r in out.references]
    assert len(out.references) == len(answer.references) - 1
    assert [r.n for r in out.references] == list(range(1, len(out.references) + 1))
    # Every surviving citation moved down by one and still names the same document.
    assert_same_sources(answer, out)
    assert_consistent(corpus[0], out)
    flagged = {f.citation for f in out.red_flags}
    assert flagged == {f.citation - 1 for f in answer.red_flags if f.citation}  # type: ignore[operator]
    # The year shown as "last updated" comes from the references that are left.
    assert answer.last_updated is not None and out.last_updated is None


def test_glosses_keep_their_defining_source(
    corpus: tuple[SQLiteStore, Composer], answers: dict[str, Answer]
) -> None:
    answer = answers["patient"]
    glossed = [(ref, item) for ref, item in item_refs(answer).items() if item.glosses]
    assert glossed, "patient answers gloss technical terms"
    gloss_docs = {d for _, i in glossed for g in i.glosses for d in _docs(answer, [g.citation])}
    # Drop everything citing the guideline, numbered before the gloss's reference: the gloss's
    # reference number goes down by one.
    (gloss_n,) = {g.citation for _, i in glossed for g in i.glosses}
    (guideline_n,) = [r.n for r in answer.references if r.doc_type is DocType.GUIDELINE]
    assert guideline_n < gloss_n
    guideline = [ref for ref, item in item_refs(answer).items() if guideline_n in item.citations]
    out = drop_items(answer, guideline)
    assert_same_sources(answer, out)
    assert_consistent(corpus[0], out)
    glosses = [g for i in out.statements() for g in i.glosses]
    assert glosses and {g.citation for g in glosses} == {gloss_n - 1}
    assert {d for g in glosses for d in _docs(out, [g.citation])} == gloss_docs
    # Dropping the glossed statements drops the definition's reference too (if nothing else cites it).
    out2 = drop_items(answer, [ref for ref, _ in glossed])
    assert not [g for i in out2.statements() for g in i.glosses]
    still_cited = {d for i in out2.statements() for d in _docs(out2, i.citations)}
    for doc in gloss_docs - still_cited:
        assert doc not in [r.document_id for r in out2.references]
    assert_consistent(corpus[0], out2)


def test_every_single_and_pairwise_drop_stays_consistent(
    corpus: tuple[SQLiteStore, Composer], answers: dict[str, Answer]
) -> None:
    store = corpus[0]
    checked = 0
    for answer in answers.values():
        refs = list(item_refs(answer))
        for combo in itertools.chain(
            ([r] for r in refs), (list(pair) for pair in itertools.combinations(refs, 2))
        ):
            out = drop_items(answer, combo)
            kept = {_key(i) for i in out.statements()}
            for ref in combo:
                if ref.startswith("note:"):
                    note = answer.evidence_notes[int(ref.split(":")[1])]
                    assert len(out.evidence_notes) < len(answer.evidence_notes)
                    assert note not in out.evidence_notes
                else:
                    section = ref.split(":")[0]
                    dropped = item_refs(answer)[ref]
                    src = (
                        out.summary.items
                        if section == "summary"
                        else next((s.items for s in out.sections if s.key == section), [])
                    )
                    assert all(_key(i) != _key(dropped) for i in src)
            assert kept <= {_key(i) for i in answer.statements()}
            assert_same_sources(answer, out)
            assert_consistent(store, out)
            checked += 1
    assert checked > 50


def test_duplicate_refs_drop_once(answers: dict[str, Answer]) -> None:
    answer = answers["cause"]
    assert drop_items(answer, ["causes:0", "causes:0"]) == drop_items(answer, ["causes:0"])


def test_unknown_refs_are_rejected(answers: dict[str, Answer]) -> None:
    answer = answers["cause"]
    for bad in (["causes:99"], ["nosuchsection:0"], ["causes"], ["summary:0", "note:7"], [""]):
        with pytest.raises(InvalidRequestError) as info:
            drop_items(answer, bad)
        assert info.value.hint and "causes:0" in info.value.hint
    with pytest.raises(InvalidRequestError, match="'note:7'"):
        drop_items(answer, ["summary:0", "note:7"])


def test_dropping_everything_is_rejected(answers: dict[str, Answer]) -> None:
    answer = answers["cause"]
    with pytest.raises(InvalidRequestError, match="at least one statement"):
        drop_items(answer, list(item_refs(answer)))


def test_renumber_is_idempotent_on_a_composed_answer(answers: dict[str, Answer]) -> None:
    for answer in answers.values():
        copy = answer.model_copy(deep=True)
        assert renumber_references(copy).model_dump() == answer.model_dump()


def test_renumber_drops_unused_references_in_place(
    corpus: tuple[SQLiteStore, Composer], answers: dict[str, Answer]
) -> None:
    answer = answers["cause"].model_copy(deep=True)
    extra = answer.references[0].model_copy(update={"n": len(answer.references) + 1})
    answer.references.append(extra)  # cited by nothing
    out = renumber_references(answer)
    assert out is answer
    assert [r.n for r in out.references] == list(range(1, len(answers["cause"].references) + 1))
    assert_consistent(corpus[0], out)
