"""Questions and searches answered by many threads at once (no global lock) come out as they do
one at a time, without errors."""

from __future__ import annotations

import random
import signal
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from medcite.config import Settings
from medcite.types import Answer, Audience
from medcite.web.engine import Engine
from tests.web.conftest import Team, start_server

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


def test_forked_workers_share_the_load_and_answer_as_one_process(
    team: Team, engine: Engine, tmp_path: Path
) -> None:
    """`medcite serve --workers 2` loads once and forks: both workers answer, concurrently and
    as the engine does in-process, and SIGTERM stops them all."""
    expected = {q: _comparable(engine.ask(q, Audience.PATIENT, None)) for q in QUESTIONS}
    server = start_server(team.home, tmp_path / "server.log", "--workers", "2")
    try:
        parent = psutil.Process(server.process.pid)
        workers = parent.children()
        assert len(workers) == 2
        work = QUESTIONS * 4

        def post(question: str) -> tuple[str, int, dict[str, Any]]:
            r = httpx.post(server.url + "/api/ask", json={"question": question}, timeout=60)
            return question, r.status_code, r.json()

        with ThreadPoolExecutor(max_workers=8) as pool:
            results = list(pool.map(post, work))
        for question, status, body in results:
            assert status == 200, body
            got = Answer.model_validate(body)
            assert _comparable(got) == expected[question], question
        # The workers forked from a loaded parent: the vocabulary's pages are shared.
        for worker in workers:
            assert worker.is_running()
            memory = worker.memory_full_info()
            assert memory.uss < memory.rss
    finally:
        server.process.send_signal(signal.SIGTERM)
        try:
            server.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.process.kill()
            raise
    assert not any(w.is_running() and w.status() != psutil.STATUS_ZOMBIE for w in workers)
    assert "forking 2 workers" in server.log.read_text()


def test_the_python_api_answers_from_many_threads_at_once(team: Team) -> None:
    """medcite.ask holds no lock while it answers: threads answer at once, as one at a time."""
    from medcite.api import ask, close_all

    settings = Settings(home=team.home, mirror=None)
    try:
        expected = {q: _comparable(ask(q, settings=settings, save=False)) for q in QUESTIONS}
        with ThreadPoolExecutor(max_workers=6) as pool:
            got = list(
                pool.map(lambda q: (q, ask(q, settings=settings, save=False)), QUESTIONS * 3)
            )
        for question, answer in got:
            assert _comparable(answer) == expected[question], question
    finally:
        close_all()
