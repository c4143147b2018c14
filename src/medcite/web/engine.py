"""What one server process holds: the retriever (the keyword index, vocabulary and dense
matrix, costly to load and shared) and the review store.

Questions and searches run in parallel, with no lock of their own: the store gives each thread
its own SQLite connection, the retriever swaps its index reader under its own lock, and each
thread composes with its own :class:`Composer` (cheap around the shared retriever), whose
definition cache and scorer are then never shared. The retrieval's native parts (tantivy, numpy,
ONNX) release the GIL, so a second core helps. Review requests keep their connection and lock.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Sequence
from typing import Any, cast

from medcite.compose import Composer
from medcite.config import Settings
from medcite.errors import InvalidRequestError, MedciteError, NotFoundError
from medcite.index.updater import keyword_index_status
from medcite.retrieve.hybrid import HybridRetriever, evidence_json
from medcite.review.editing import drop_items
from medcite.review.service import ReviewStore
from medcite.store.factory import open_store
from medcite.store.sqlite import SQLiteStore
from medcite.types import Answer, Article, Audience, Passage, User
from medcite.web.throttle import LoginThrottle


class ServiceUnavailableError(MedciteError):
    code = "not_ready"
    http_status = 503


class Engine:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        # SQLite in MEDCITE_HOME or PostgreSQL at MEDCITE_DATABASE_URL (medcite.store.factory).
        self._store = open_store(settings)
        self._review_store = open_store(settings)
        self.review = ReviewStore(
            self._review_store.reviews(),
            review_interval_days=settings.review_interval_days,
            session_ttl=dt.timedelta(hours=settings.session_ttl_hours),
        )
        self.review_lock = threading.RLock()
        self.login_throttle = LoginThrottle.from_settings(settings)
        self._load_lock = threading.Lock()  # loading only: the retriever is opened once
        self._retriever: HybridRetriever | None = None
        self._local = threading.local()

    # -- readiness -------------------------------------------------------------------------
    def load(self) -> bool:
        """Open the retriever if the store has documents; True when questions can be answered."""
        if self._retriever is None:
            with self._load_lock:
                if self._retriever is None and self._store.count_documents() > 0:
                    self._retriever = HybridRetriever.open(self._store, self.settings)
        return self._retriever is not None

    def composer(self) -> Composer:
        """This thread's composer, around the shared retriever."""
        if self._retriever is None and not self.load():
            raise ServiceUnavailableError(
                "the store holds no documents yet", hint="Run `medcite ingest --default`."
            )
        composer: Composer | None = getattr(self._local, "composer", None)
        if composer is None:
            assert self._retriever is not None
            # compose/ is typed to the SQLite store; both stores keep store.base.Store.
            store = cast(SQLiteStore, self._store)
            composer = self._local.composer = Composer(store, self.settings, self._retriever)
        return composer

    def counts(self) -> dict[str, Any]:
        return {
            "documents": self._store.count_documents(),
            "passages": self._store.count_passages(),
            "keyword_index": keyword_index_status(self._store, self.settings),
        }

    # -- questions -------------------------------------------------------------------------
    def ask(self, question: str, audience: Audience, follow_up_of: str | None) -> Answer:
        return self.composer().ask(question, audience=audience, follow_up_of=follow_up_of)

    def search(self, query: str, k: int) -> list[dict[str, Any]]:
        hits = self.composer().retriever.search(query, k).hits
        return [evidence_json(h, i + 1) for i, h in enumerate(hits)]

    def answer(self, answer_id: str) -> Answer:
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
        return self._store.get_passages_by_id(list(ids))

    def close(self) -> None:
        self._store.close()
        self._review_store.close()
