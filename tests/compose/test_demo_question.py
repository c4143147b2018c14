"""The demo question on the real default corpus: the bottom line speaks of muscle spasms in
general (MedlinePlus "Muscle Cramps"), not of a narrower kind such as hemifacial spasm."""

from __future__ import annotations

from medcite.compose import Composer
from medcite.config import Settings
from medcite.store.sqlite import SQLiteStore
from medcite.types import Audience


def test_demo_bottom_line_leads_with_the_general_condition(
    default_corpus: tuple[SQLiteStore, Settings],
) -> None:
    store, settings = default_corpus
    composer = Composer.open(store, settings)
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
