"""The one settings object. Every field reads from ``MEDCITE_<FIELD>``."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_home() -> Path:
    return Path.home() / ".local" / "share" / "medcite"


def _default_model_cache() -> Path:
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "medcite" / "models"


class Settings(BaseSettings):
    """medcite settings; environment variables are ``MEDCITE_`` + the upper-cased name."""

    model_config = SettingsConfigDict(env_prefix="MEDCITE_", extra="ignore")

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
            "Models derived from packaged weights (the int8 embedding model), built on first use "
            "and shared by every home. Default: $XDG_CACHE_HOME/medcite/models."
        ),
    )
    db_name: str = Field(default="medcite.db", description="File name of the store inside home.")
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
    max_request_bytes: int = Field(
        default=65536,
        ge=1024,
        description="`medcite serve`: larger request bodies are refused with 413.",
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
