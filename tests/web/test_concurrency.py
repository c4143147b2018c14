"""Questions and searches answered by many threads at once (no global lock) come out as they do
one at a time, without errors."""

from __future__ import annotations

import random
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from medcite.config import Settings
from medcite.types import Answer, Audience
from medcite.web.engine import Engine
from tests.web.conftest import Team

QUESTIONS = [
    "What causes glimmerpox?",
    "What are the symptoms of glimmerpox?",
    "How is glimmerpox treated?",
    "What is zappleflu?",
    "What causes frobnitz elbow in astronauts?",
    "What causes glimerpox?",  # a misspelling: the shared vocabulary's correction cache
]
SEARCHES = ["glimmerpox", "zappleflu fever", "frobnitz elbow", "wobbly widget"]


@pytest.fixture
def engine(team: Team) -> Iterator[Engine]:
    engine = Engine(Settings(home=team.home, mirror=None))
    assert engine.load()
    yield engine
    engine.close()


def _comparable(answer: Answer) -> dict[str, Any]:
    """The answer without what differs between two askings (its id, time, timings)."""
    return answer.model_dump(mode="json", exclude={"id", "created_at", "timings_ms"})


def test_concurrent_answers_and_searches_match_sequential_ones(engine: Engine) -> None:
    sequential_answers = {
        (q, a): _comparable(engine.ask(q, a, None)) for q in QUESTIONS for a in Audience
    }
    sequential_searches = {q: engine.search(q, 5) for q in SEARCHES}
    assert any(sequential_searches.values())

    work: list[tuple[str, Any]] = [("ask", key) for key in sequential_answers] * 3
    work += [("search", q) for q in SEARCHES] * 3
    random.Random(22).shuffle(work)

    saved: list[str] = []

    def run(item: tuple[str, Any]) -> tuple[tuple[str, Any], Any]:
        kind, key = item
        if kind == "ask":
            answer = engine.ask(key[0], key[1], None)
            saved.append(answer.id)
            return item, _comparable(answer)
        return item, engine.search(key, 5)

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(run, work))

    assert len(results) == len(work)
    for (kind, key), got in results:
        expected = sequential_answers[key] if kind == "ask" else sequential_searches[key]
        assert got == expected, (kind, key)
    # Every answer was saved, each thread writing through its own connection.
    assert len(saved) == len(sequential_answers) * 3
    assert all(engine.answer(answer_id).id == answer_id for answer_id in saved)
