"""The one settings object. Every field reads from ``MEDCITE_<FIELD>``.

The environment is read here, as pydantic-settings reads it (prefix, any letter case, JSON for
mappings and lists), on a plain pydantic model: pydantic-settings itself costs ~0.1 s of imports
(asyncio, its cloud secret providers) at every command-line start, a tenth of a cold `ask`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any, get_origin

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from medcite.errors import ConfigError

ENV_PREFIX = "MEDCITE_"


def _default_home() -> Path:
    return Path.home() / ".local" / "share" / "medcite"


def _default_model_cache() -> Path:
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "medcite" / "models"


def environment_values(fields: Mapping[str, Any], environ: Mapping[str, str]) -> dict[str, Any]:
    """Values of ``fields`` set in ``environ`` as ``MEDCITE_<NAME>`` (any letter case). Empty
    values count as unset; mappings and lists are JSON."""
    wanted = {f"{ENV_PREFIX}{name}".lower(): name for name in fields}
    values: dict[str, Any] = {}
    for key, raw in environ.items():
        name = wanted.get(key.lower())
        if name is None or raw == "":
            continue
        if get_origin(fields[name].annotation) in (dict, list):
            try:
                values[name] = json.loads(raw)
            except json.JSONDecodeError as exc:
                raise ConfigError(
                    f"{key} is not valid JSON: {exc.msg}",
                    hint='Mappings and lists are JSON, e.g. {"pubmedqa": "https://..."}.',
                ) from None
        else:
            values[name] = raw
    return values


class Settings(BaseModel):
    """medcite settings; environment variables are ``MEDCITE_`` + the upper-cased name.

    ``Settings(home=...)`` takes the given values and reads the rest from the environment.
    """

    model_config = ConfigDict(extra="ignore", validate_default=True)

    def __init__(self, **values: Any) -> None:
        from_environment = environment_values(type(self).model_fields, os.environ)
        try:
            super().__init__(**{**from_environment, **values})
        except ValidationError as exc:
            problems = "; ".join(
                f"{ENV_PREFIX}{'.'.join(str(p) for p in e['loc']).upper()}: {e['msg']}"
                f" (got {e['input']!r})"
                for e in exc.errors()
            )
            raise ConfigError(
                f"invalid setting: {problems}", hint="See docs/configuration.md."
            ) from None

    home: Path = Field(
        default_factory=_default_home,
        description="Data directory: the SQLite store, downloaded sources and indexes live here.",
    )
    mirror: Path | None = Field(
        default=None,
        description=(
            "Local mirror of the public corpus sources, laid out like their downloads "
            "(medquad/, ngc-guidelines/summaries/, pubmedqa/). When set, named sources are "
            "read from here and nothing is downloaded."
        ),
    )
    model_cache: Path = Field(
        default_factory=_default_model_cache,
        description=(
            "Data derived from packaged files (the int8 embedding model, the parsed hyphenation "
            "patterns, the MeSH vocabulary table), built on first use and shared by every home. "
            "Default: $XDG_CACHE_HOME/medcite/models."
        ),
    )
    db_name: str = Field(default="medcite.db", description="File name of the store inside home.")
    database_url: str | None = Field(
        default=None,
        description=(
            "PostgreSQL store shared by several servers, as `postgresql://user:password@host:port/"
            "database` (`medcite db status --json` prints one for a local server). Keyword "
            "search then runs in the database (BM25 in SQL) and no keyword index is built on "
            "disk. Unset: the SQLite store `db_name` inside home. Needs the postgres extra "
            "(`pip install 'medcite[postgres]'`); see docs/scale-out.md."
        ),
    )
    database_pool_size: int = Field(
        default=10,
        ge=1,
        le=1000,
        description=(
            "PostgreSQL: the most connections one process holds (a pool; each request of "
            "`medcite serve` borrows one for its length). A server process with more requests "
            "at once than this makes the extra ones wait; `medcite serve --workers N` holds up "
            "to N times this, which the database's max_connections must allow."
        ),
    )
    database_pool_timeout: float = Field(
        default=30.0,
        gt=0,
        description=(
            "PostgreSQL: seconds a request waits for a free pooled connection before it fails "
            "with a store error."
        ),
    )
    ingest_batch_size: int = Field(
        default=200,
        ge=1,
        description=(
            "Documents written per transaction during ingest. Smaller batches lose less work "
            "when an ingest is killed; larger ones ingest faster."
        ),
    )
    passage_min_words: int = Field(
        default=80,
        ge=1,
        description="Chunker: a passage is grown until it has at least this many words.",
    )
    passage_max_words: int = Field(
        default=200,
        ge=10,
        description="Chunker: a passage never exceeds this many words unless one sentence does.",
    )
    max_document_bytes: int = Field(
        default=20_000_000,
        ge=1000,
        le=1_000_000_000,  # SQLite's largest value
        description=(
            "Ingest: the largest document, in bytes. A file that is one document (plain text, "
            "Markdown, HTML, MedQuAD, NGC) and is larger is skipped without being read; in files "
            "of many documents (JSON Lines, PubMed, MedlinePlus, PubMedQA) and in PDFs (whose "
            "size is mostly images and fonts) each document's text is checked instead. At most "
            "1 GB (SQLite's largest value)."
        ),
    )
    max_document_passages: int = Field(
        default=20_000,
        ge=1,
        description=(
            "Ingest: a document cut into more passages than this is skipped with its reason (not "
            "truncated). Not to be confused with max_passages_per_document (search diversity)."
        ),
    )
    dense_on_ingest: bool = Field(
        default=False,
        description=(
            "Embed new passages (dense vectors) at the end of every ingest. Off by default: on 2 "
            "CPU cores MiniLM embeds ~90 passages/s, ~12 min for the default corpus. "
            "`medcite index --dense` does it on demand; search uses whatever vectors exist."
        ),
    )
    evidence_prior: float = Field(
        default=0.1,
        ge=0.0,
        le=1.0,
        description=(
            "Strength of the evidence prior in ranking (guidelines and reviews above single "
            "studies above consumer pages, newer above older); 0 turns it off."
        ),
    )
    max_passages_per_document: int = Field(
        default=2,
        ge=1,
        description="Diversity: at most this many passages of one document in the top k.",
    )
    download_timeout_s: float = Field(
        default=60.0, gt=0, description="Timeout for each HTTP request when fetching a source."
    )
    ncbi_api_key: str | None = Field(
        default=None,
        description="NCBI E-utilities API key (optional): raises the rate limit from 3 to 10 requests/s.",
    )
    ncbi_email: str | None = Field(
        default=None, description="Contact e-mail sent to NCBI E-utilities, as NCBI asks."
    )
    eutils_base_url: str = Field(
        default="https://eutils.ncbi.nlm.nih.gov/entrez/eutils/",
        description="Base address of NCBI E-utilities (esearch.fcgi and efetch.fcgi live under it).",
    )
    source_url_overrides: dict[str, str] = Field(
        default_factory=dict,
        description=(
            'Per-source download address overrides, as JSON: {"pubmedqa": "https://..."}. '
            "For institutional mirrors served over HTTP."
        ),
    )
    allow_anonymous_ask: bool = Field(
        default=True,
        description="`medcite serve`: visitors who are not signed in may ask questions and search.",
    )
    allow_anonymous_read: bool = Field(
        default=True,
        description=(
            "`medcite serve`: visitors who are not signed in may read approved articles. Drafts "
            "and articles in review are never shown to them."
        ),
    )
    review_interval_days: int = Field(
        default=365,
        ge=1,
        description=(
            "An approved article is due for re-review this many days after its last review (it "
            "is also due as soon as a newer source on its topic is ingested)."
        ),
    )
    session_ttl_hours: float = Field(
        default=12.0, gt=0, description="`medcite serve`: how long a browser sign-in lasts."
    )
    cookie_secure: bool = Field(
        default=False,
        description=(
            "`medcite serve`: mark session cookies Secure (sent over HTTPS only). Turn on when "
            "serving behind TLS."
        ),
    )
    server_threads: int = Field(
        default=8,
        ge=1,
        le=1000,
        description=(
            "`medcite serve`: threads per worker process that answer requests at once (each "
            "keeps its own composer and store connection, about 8 MiB). Further requests wait "
            "their turn, first come first served. Answering is mostly Python, so more threads "
            "than a few per core add memory and tail latency, not throughput."
        ),
    )
    max_request_bytes: int = Field(
        default=65536,
        ge=1024,
        description="`medcite serve`: larger request bodies are refused with 413.",
    )
    login_free_attempts: int = Field(
        default=5,
        ge=1,
        description=(
            "`medcite serve`: failed sign-ins allowed per account name before further attempts "
            "are refused with 429 for a lockout that doubles with each further failure."
        ),
    )
    login_free_attempts_per_address: int = Field(
        default=20,
        ge=1,
        description=(
            "`medcite serve`: failed sign-ins allowed per client address (whatever the account "
            "names) before it is locked out the same way. Behind a reverse proxy every client "
            "has the proxy's address."
        ),
    )
    login_lockout_base_s: float = Field(
        default=1.0,
        gt=0,
        description=(
            "`medcite serve`: the first sign-in lockout, in seconds; each further failure "
            "doubles it."
        ),
    )
    login_lockout_max_s: float = Field(
        default=900.0,
        gt=0,
        description="`medcite serve`: the longest sign-in lockout, in seconds.",
    )

    @property
    def db_path(self) -> Path:
        return self.home / self.db_name

    @property
    def sources_dir(self) -> Path:
        """Where downloaded sources are unpacked and cached."""
        return self.home / "sources"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings from the environment, read once per process."""
    return Settings()
