"""What one server process holds: the composer (retrieval + composition) and the review store.

Each has its own SQLite connection and lock. The composer is CPU-bound Python, so serialising it
costs nothing under the GIL; review requests do not wait behind a slow question.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Sequence
from typing import Any

from medcite.compose import Composer
from medcite.config import Settings
from medcite.errors import InvalidRequestError, MedciteError, NotFoundError
from medcite.retrieve.hybrid import evidence_json
from medcite.review.editing import drop_items
from medcite.review.service import ReviewStore
from medcite.store.sqlite import SQLiteStore
from medcite.types import Answer, Article, Audience, Passage, User
from medcite.web.throttle import LoginThrottle


class ServiceUnavailableError(MedciteError):
    code = "not_ready"
    http_status = 503


class Engine:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._store = SQLiteStore(settings.db_path)
        self._review_store = SQLiteStore(settings.db_path)
        self.review = ReviewStore(
            self._review_store.reviews(),
            review_interval_days=settings.review_interval_days,
            session_ttl=dt.timedelta(hours=settings.session_ttl_hours),
        )
        self.compose_lock = threading.Lock()
        self.review_lock = threading.RLock()
        self.login_throttle = LoginThrottle.from_settings(settings)
        self._composer: Composer | None = None

    # -- readiness -------------------------------------------------------------------------
    def load(self) -> bool:
        """Open the composer if the store has documents; True when questions can be answered."""
        with self.compose_lock:
            if self._composer is None and self._store.count_documents() > 0:
                self._composer = Composer.open(self._store, self.settings)
            return self._composer is not None

    def composer(self) -> Composer:
        if self._composer is None and not self.load():
            raise ServiceUnavailableError(
                "the store holds no documents yet", hint="Run `medcite ingest --default`."
            )
        assert self._composer is not None
        return self._composer

    def counts(self) -> dict[str, int]:
        with self.compose_lock:
            return {
                "documents": self._store.count_documents(),
                "passages": self._store.count_passages(),
            }

    # -- questions -------------------------------------------------------------------------
    def ask(self, question: str, audience: Audience, follow_up_of: str | None) -> Answer:
        composer = self.composer()
        with self.compose_lock:
            return composer.ask(question, audience=audience, follow_up_of=follow_up_of)

    def search(self, query: str, k: int) -> list[dict[str, Any]]:
        composer = self.composer()
        with self.compose_lock:
            hits = composer.retriever.search(query, k).hits
        return [evidence_json(h, i + 1) for i, h in enumerate(hits)]

    def answer(self, answer_id: str) -> Answer:
        with self.compose_lock:
            found = self._store.get_answer(answer_id)
        if found is None:
            raise NotFoundError(f"no answer with id {answer_id!r}")
        return found

    def thread(self, answer_id: str) -> list[Answer]:
        """The conversation an answer belongs to, oldest first (follow_up_of links)."""
        chain = [self.answer(answer_id)]
        seen = {answer_id}
        while chain[0].follow_up_of and chain[0].follow_up_of not in seen and len(chain) < 50:
            seen.add(chain[0].follow_up_of)
            try:
                chain.insert(0, self.answer(chain[0].follow_up_of))
            except NotFoundError:
                break
        return chain

    # -- articles --------------------------------------------------------------------------
    def edit_article(
        self,
        article_id: str,
        user: User,
        *,
        title: str | None = None,
        drop: Sequence[str] = (),
        regenerate: bool = False,
        note: str | None = None,
        expected_version: int | None = None,
    ) -> Article:
        """A new version: retitle, drop statements, or recompose from the current corpus
        (the API's PATCH and the article page's edit form both come here)."""
        if regenerate and drop:
            raise InvalidRequestError("regenerate and drop cannot be combined in one edit")
        with self.review_lock:
            article = self.review.get_article(article_id, user)
        answer: Answer | None = None
        if regenerate:
            answer = self.ask(article.question, article.audience, None)
        elif drop:
            current = article.versions[0].answer
            assert current is not None
            answer = drop_items(current, list(drop))
        with self.review_lock:
            return self.review.edit_article(
                article_id,
                user,
                title=title,
                answer=answer,
                note=note,
                expected_version=expected_version,
            )

    def passages(self, ids: Sequence[int]) -> dict[int, Passage]:
        with self.compose_lock:
            return self._store.get_passages_by_id(list(ids))

    def close(self) -> None:
        self._store.close()
        self._review_store.close()
