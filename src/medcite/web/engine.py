"""What one server process holds: the retriever (the keyword index, vocabulary and dense
matrix, costly to load and shared) and the review store.

Questions and searches run in parallel, with no lock of their own: the store gives each thread
its own SQLite connection (on PostgreSQL each request borrows a pooled connection for its
length, and retrieval reads through a second, read-only store whose transactions cannot write),
the retriever swaps its index reader under its own lock, and each thread composes with its own
:class:`Composer` (cheap around the shared retriever), whose definition cache and scorer are
then never shared. The retrieval's native parts (tantivy, numpy, ONNX) release the GIL, so a
second core helps. Review requests keep their connection and lock.

:meth:`Engine.warm` loads everything a first question would (vocabulary tables, the drug-name
table, hyphenation patterns) so that `medcite serve --workers N` loads them once, before it
forks its workers (medcite.web.prefork), and the workers share those pages.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
from collections.abc import Iterator, Sequence
from typing import Any, cast

from medcite.compose import Composer
from medcite.config import Settings
from medcite.errors import InvalidRequestError, MedciteError, NotFoundError
from medcite.index.updater import keyword_index_status
from medcite.retrieve.hybrid import HybridRetriever, evidence_json
from medcite.retrieve.vocabulary import Vocabulary
from medcite.review.editing import drop_items
from medcite.review.service import ReviewStore
from medcite.store.base import Store
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
        # PostgreSQL: retrieval reads through read-only connections (they refuse writes, and can
        # be a replica's); answers are saved through the writable store. SQLite: one store.
        self._reader = open_store(settings, read_only=True) if settings.database_url else None
        self.review_lock = threading.RLock()
        self._review_store: Store | None = None
        self._review: ReviewStore | None = None
        self._open_review()
        self.login_throttle = LoginThrottle.from_settings(settings)
        self._load_lock = threading.Lock()  # loading only: the retriever is opened once
        self._retriever: HybridRetriever | None = None
        self._local = threading.local()

    def _open_review(self) -> ReviewStore:
        with self.review_lock:
            if self._review is None:
                self._review_store = open_store(self.settings)
                self._review = ReviewStore(
                    self._review_store.reviews(),
                    review_interval_days=self.settings.review_interval_days,
                    session_ttl=dt.timedelta(hours=self.settings.session_ttl_hours),
                )
            return self._review

    @property
    def review(self) -> ReviewStore:
        """The review workflow, on a connection of its own (reopened after a fork)."""
        review = self._review
        return review if review is not None else self._open_review()

    # -- readiness -------------------------------------------------------------------------
    def load(self) -> bool:
        """Open the retriever if the store has documents; True when questions can be answered."""
        if self._retriever is None:
            with self._load_lock, self.connections():
                if self._retriever is None and self._store.count_documents() > 0:
                    if self._reader is not None:
                        # Builds (or finds) the vocabulary cache file, which the read-only
                        # store only reads.
                        Vocabulary(self._store)
                    store = self._reader or self._store
                    self._retriever = HybridRetriever.open(store, self.settings)
        return self._retriever is not None

    def warm(self, question: str = "What causes high blood pressure?") -> None:
        """Load what answering loads lazily (vocabulary tables, the drug names, hyphenation
        patterns, the analyser), by answering ``question`` once without saving it."""
        if not self.load():
            return
        with self.connections():
            composer = Composer(cast(SQLiteStore, self._store), self.settings, self._retriever_())
            composer.ask(question, audience=Audience.PATIENT, save=False)
            composer.ask(question, audience=Audience.CLINICIAN, save=False)

    def _retriever_(self) -> HybridRetriever:
        assert self._retriever is not None
        return self._retriever

    def release_connections(self) -> None:
        """Close every database connection this process holds, keeping the engine usable (new
        ones are opened on next use): before forking workers, which must not share them."""
        for store in (self._store, self._reader):
            if store is not None:
                store.close_connections()
        with self.review_lock:  # the review repository keeps its connection: reopened on use
            if self._review_store is not None:
                self._review_store.close()
            self._review_store = self._review = None
        self._local = threading.local()

    @contextlib.contextmanager
    def connections(self) -> Iterator[None]:
        """One request's database connections: on PostgreSQL borrowed from the pools for the
        block and given back after it (no-op on SQLite, whose connections are per thread)."""
        with contextlib.ExitStack() as stack:
            for store in (self._store, self._reader):
                borrow = getattr(store, "connection", None)
                if borrow is not None:
                    stack.enter_context(borrow())
            yield

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
        with self.connections():
            return {
                "documents": self._store.count_documents(),
                "passages": self._store.count_passages(),
                "keyword_index": keyword_index_status(self._store, self.settings),
            }

    # -- questions -------------------------------------------------------------------------
    def ask(self, question: str, audience: Audience, follow_up_of: str | None) -> Answer:
        with self.connections():
            return self.composer().ask(question, audience=audience, follow_up_of=follow_up_of)

    def search(self, query: str, k: int) -> list[dict[str, Any]]:
        with self.connections():
            hits = self.composer().retriever.search(query, k).hits
        return [evidence_json(h, i + 1) for i, h in enumerate(hits)]

    def answer(self, answer_id: str) -> Answer:
        with self.connections():
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
        with self.connections():
            return self._store.get_passages_by_id(list(ids))

    def close(self) -> None:
        self._store.close()
        if self._reader is not None:
            self._reader.close()
        if self._review_store is not None:
            self._review_store.close()
