"""Fetch PubMed records for a search through NCBI E-utilities, resumably.

``esearch`` turns the query into a list of PMIDs; ``efetch`` then downloads
them in batches as PubMed XML (``batch-0001.xml``, ...) that
:class:`~medcite.ingest.pubmed.PubMedXMLLoader` reads. The PMID list is saved
in ``.medcite-fetch.json`` next to the batches, so a re-run of the same fetch
reuses it (no new search: the batches stay exactly the same records) and only
downloads the batches that are missing; a changed fetch (another query or
size) searches again and keeps only the batch files whose PMIDs are unchanged.
Each batch is written to a hidden ``.tmp`` file and renamed, so an interrupted
fetch never leaves half a batch.

NCBI allows 3 requests a second without an API key and 10 with one; requests
are spaced accordingly. HTTP 429, 5xx, broken connections and truncated
answers are retried with exponential backoff.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from medcite.config import Settings
from medcite.errors import IngestError, QueryError, SourceUnavailableError
from medcite.ingest.xmlutil import root_tag

TOOL_NAME = "medcite"
MANIFEST_NAME = ".medcite-fetch.json"
MAX_RESULTS_LIMIT = 10_000  # esearch cannot page past the first 10,000 PubMed records
_RETRYABLE_STATUS = {429, 500, 502, 503, 504}
_MAX_RETRY_AFTER_S = 60.0
_BATCH_RE = re.compile(r"batch-(\d{4,})\.xml")


def default_min_interval(api_key: str | None) -> float:
    """Seconds between requests that NCBI's usage policy allows: 1/3 s, or 1/10 s with a key."""
    return 0.1 if api_key else 1 / 3


class _RetryableError(Exception):
    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class EUtilsClient:
    """Minimal E-utilities client: rate limit, retries, the identifying parameters."""

    def __init__(
        self,
        settings: Settings,
        *,
        min_interval_s: float | None = None,
        max_tries: int = 3,
        backoff_s: float = 1.0,
    ) -> None:
        self.base_url = settings.eutils_base_url.rstrip("/") + "/"
        self.timeout = settings.download_timeout_s
        self.min_interval = (
            default_min_interval(settings.ncbi_api_key)
            if min_interval_s is None
            else min_interval_s
        )
        self.max_tries = max(1, max_tries)
        self.backoff = backoff_s
        self._common: dict[str, str] = {"tool": TOOL_NAME}
        if settings.ncbi_email:
            self._common["email"] = settings.ncbi_email
        if settings.ncbi_api_key:
            self._common["api_key"] = settings.ncbi_api_key
        self._last_request = float("-inf")

    def esearch(self, query: str, max_results: int) -> tuple[int, list[str]]:
        """(total matches in PubMed, the first ``max_results`` PMIDs)."""
        params = {"db": "pubmed", "term": query, "retmax": str(max_results), "retmode": "json"}
        raw = self._request("esearch.fcgi", params, post=False, check=_check_json)
        data = json.loads(raw)
        result = data.get("esearchresult") if isinstance(data, dict) else None
        if not isinstance(result, dict):
            raise IngestError(f"unexpected esearch answer from NCBI: {raw[:200]!r}")
        if result.get("ERROR"):
            raise QueryError(f"PubMed rejected the query: {result['ERROR']}")
        ids = [str(i) for i in result.get("idlist", [])]
        return int(result.get("count", len(ids))), ids

    def efetch(self, pmids: list[str]) -> bytes:
        """PubMed XML (``<PubmedArticleSet>``) of ``pmids``."""
        # POST: a batch of ids would make an over-long URL.
        params = {"db": "pubmed", "id": ",".join(pmids), "retmode": "xml", "rettype": "abstract"}
        return self._request("efetch.fcgi", params, post=True, check=_check_pubmed_xml)

    def _request(
        self,
        endpoint: str,
        params: dict[str, str],
        *,
        post: bool,
        check: Callable[[bytes], str | None],
    ) -> bytes:
        url = self.base_url + endpoint
        encoded = urllib.parse.urlencode({**params, **self._common})
        last_reason = ""
        for attempt in range(1, self.max_tries + 1):
            try:
                return self._attempt(url, encoded, post, check)
            except _RetryableError as exc:
                last_reason = exc.reason
                if attempt == self.max_tries:
                    break
                delay = self.backoff * 2 ** (attempt - 1)
                if exc.retry_after is not None:
                    delay = max(delay, min(exc.retry_after, _MAX_RETRY_AFTER_S))
                time.sleep(delay)
        raise SourceUnavailableError(
            f"NCBI E-utilities unavailable at {url} after {self.max_tries} tries: {last_reason}",
            hint="Check the network connection and MEDCITE_EUTILS_BASE_URL, then re-run: "
            "batches already fetched are kept.",
        )

    def _attempt(
        self, url: str, encoded: str, post: bool, check: Callable[[bytes], str | None]
    ) -> bytes:
        self._wait_turn()
        if post:
            request = urllib.request.Request(url, data=encoded.encode("ascii"), method="POST")
        else:
            request = urllib.request.Request(f"{url}?{encoded}", method="GET")
        request.add_header("User-Agent", f"{TOOL_NAME} (+E-utilities client)")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                body: bytes = response.read()
        except urllib.error.HTTPError as exc:
            with contextlib.closing(exc):
                detail = exc.read(300).decode("utf-8", "replace").strip()
            if exc.code in _RETRYABLE_STATUS:
                raise _RetryableError(
                    f"HTTP {exc.code}", _retry_after(exc.headers.get("Retry-After"))
                ) from exc
            raise IngestError(
                f"NCBI E-utilities refused the request (HTTP {exc.code}): {detail}"
            ) from exc
        except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
            reason = getattr(exc, "reason", None) or exc
            raise _RetryableError(f"cannot connect: {reason}") from exc
        problem = check(body)
        if problem:
            raise _RetryableError(problem)
        return body

    def _wait_turn(self) -> None:
        now = time.monotonic()
        wait = self._last_request + self.min_interval - now
        if wait > 0:
            time.sleep(wait)
        self._last_request = time.monotonic()


def _retry_after(value: str | None) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None  # an HTTP date: fall back to our own backoff


def _check_json(body: bytes) -> str | None:
    try:
        json.loads(body)
    except ValueError:
        return "esearch answer is not JSON (truncated or an error page)"
    return None


def _check_pubmed_xml(body: bytes) -> str | None:
    head = body[:4096].decode("utf-8", "replace")
    tag = root_tag(head)
    if tag != "PubmedArticleSet":
        # NCBI reports backend trouble as <eFetchResult><ERROR>..; usually transient.
        return f"efetch answered <{tag}> instead of <PubmedArticleSet>: {head[:200]!r}"
    if not body.rstrip().endswith(b"</PubmedArticleSet>"):
        return "efetch answer was cut short"
    return None


def _write_atomic(path: Path, data: bytes) -> None:
    # Hidden, so an ingest of the directory never reads a batch that was not finished.
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _chunks(ids: list[str], size: int) -> list[list[str]]:
    return [ids[i : i + size] for i in range(0, len(ids), size)]


def _read_manifest(dest: Path) -> dict[str, Any] | None:
    try:
        saved = json.loads((dest / MANIFEST_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None  # none yet, or unreadable: plan afresh
    ok = (
        isinstance(saved, dict)
        and isinstance(saved.get("ids"), list)
        and isinstance(saved.get("batch_size"), int)
        and saved["batch_size"] > 0
    )
    return saved if ok else None


def _plan(
    client: EUtilsClient, dest: Path, query: str, max_results: int, batch_size: int
) -> list[str]:
    """The PMIDs to fetch; batch files that no longer match them are removed.

    The same fetch again reuses the saved list (no search, the same records). A
    changed fetch searches again and keeps only the batches whose PMIDs are
    unchanged. Invariant: every batch file present matches the saved manifest.
    """
    wanted: dict[str, Any] = {"query": query, "max_results": max_results, "batch_size": batch_size}
    saved = _read_manifest(dest)
    if saved is not None and all(saved.get(k) == v for k, v in wanted.items()):
        return [str(i) for i in saved["ids"]]
    total, found = client.esearch(query, max_results)
    ids = list(dict.fromkeys(found))[:max_results]
    old = _chunks([str(i) for i in saved["ids"]], saved["batch_size"]) if saved else []
    new = _chunks(ids, batch_size)
    for path in dest.glob("batch-*.xml"):
        m = _BATCH_RE.fullmatch(path.name)
        if m is None:
            continue
        i = int(m.group(1)) - 1
        if not (i < len(old) and i < len(new) and old[i] == new[i]):
            path.unlink()  # stale: removed before the new manifest claims its name
    manifest = {**wanted, "count": total, "ids": ids}
    _write_atomic(dest / MANIFEST_NAME, json.dumps(manifest, indent=1).encode("utf-8"))
    return ids


def fetch_pubmed(
    query: str,
    dest: Path,
    settings: Settings,
    *,
    max_results: int = 100,
    batch_size: int = 100,
    on_progress: Callable[[int, int], None] | None = None,
    min_interval_s: float | None = None,
    max_tries: int = 3,
    backoff_s: float = 1.0,
) -> list[Path]:
    """Search PubMed and save the matching records as PubMed XML batches under ``dest``.

    Returns the batch paths in order (those kept from an earlier run included).
    ``on_progress(records_done, records_total)`` is called after each batch.
    ``min_interval_s`` defaults to NCBI's limit (1/3 s, 1/10 s with an API key).
    Raises QueryError for an empty query or one PubMed rejects,
    SourceUnavailableError when NCBI cannot be reached after ``max_tries``, and
    IngestError when NCBI refuses a request (HTTP 4xx other than 429).
    """
    query = query.strip()
    if not query:
        raise QueryError("empty PubMed query")
    if not 1 <= max_results <= MAX_RESULTS_LIMIT:
        raise QueryError(f"max_results must be between 1 and {MAX_RESULTS_LIMIT}")
    if not 1 <= batch_size <= MAX_RESULTS_LIMIT:
        raise QueryError(f"batch_size must be between 1 and {MAX_RESULTS_LIMIT}")

    client = EUtilsClient(
        settings, min_interval_s=min_interval_s, max_tries=max_tries, backoff_s=backoff_s
    )
    dest.mkdir(parents=True, exist_ok=True)
    ids = _plan(client, dest, query, max_results, batch_size)

    paths: list[Path] = []
    done = 0
    for n, chunk in enumerate(_chunks(ids, batch_size), 1):
        path = dest / f"batch-{n:04d}.xml"
        if not path.exists():
            _write_atomic(path, client.efetch(chunk))
        paths.append(path)
        done += len(chunk)
        if on_progress is not None:
            on_progress(done, len(ids))
    if not ids and on_progress is not None:
        on_progress(0, 0)
    return paths
