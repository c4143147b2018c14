"""fetch_pubmed against a real local HTTP server that plays NCBI E-utilities."""

from __future__ import annotations

import itertools
import json
import socket
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from medcite.config import Settings
from medcite.errors import IngestError, QueryError, SourceUnavailableError
from medcite.ingest.base import LoadOptions
from medcite.ingest.eutils import (
    MANIFEST_NAME,
    EUtilsClient,
    default_min_interval,
    fetch_pubmed,
)
from medcite.ingest.pubmed import PubMedXMLLoader
from medcite.types import Document

IDS = [f"9910000{i}" for i in range(1, 8)]  # seven synthetic PMIDs

ARTICLE = """<PubmedArticle><MedlineCitation Status="MEDLINE" Owner="NLM">
<PMID Version="1">{pmid}</PMID><Article PubModel="Print"><Journal><JournalIssue CitedMedium="Print">
<PubDate><Year>2020</Year></PubDate></JournalIssue><Title>Synthetic Fetches</Title></Journal>
<ArticleTitle>Synthetic record {pmid}.</ArticleTitle><Abstract><AbstractText>This synthetic abstract
exists only to test the fetcher.</AbstractText></Abstract><Language>eng</Language>
<PublicationTypeList><PublicationType UI="D016428">Journal Article</PublicationType>
</PublicationTypeList></Article></MedlineCitation><PubmedData><ArticleIdList>
<ArticleId IdType="pubmed">{pmid}</ArticleId></ArticleIdList></PubmedData></PubmedArticle>"""


@dataclass
class Seen:
    at: float
    endpoint: str
    method: str
    params: dict[str, str]


@dataclass
class FakeEUtils:
    """What the server answers, and what it was asked."""

    ids: list[str] = field(default_factory=lambda: list(IDS))
    requests: list[Seen] = field(default_factory=list)
    # statuses to answer before behaving, per endpoint (popped one per request)
    failures: dict[str, list[int]] = field(default_factory=dict)
    always_fail: dict[str, int] = field(default_factory=dict)
    truncate_efetch: int = 0  # answer this many efetch calls with cut-short XML
    esearch_error: str | None = None
    fail_efetch_after: int | None = None  # answer 503 to every efetch after this many
    base_url: str = ""

    def of(self, endpoint: str) -> list[Seen]:
        return [r for r in self.requests if r.endpoint == endpoint]

    def answer(self, endpoint: str, params: dict[str, str]) -> tuple[int, bytes]:
        if endpoint in self.always_fail:
            return self.always_fail[endpoint], b"backend down"
        after = self.fail_efetch_after
        if endpoint == "efetch.fcgi" and after is not None and len(self.of(endpoint)) > after:
            return 503, b"backend down"
        pending = self.failures.get(endpoint)
        if pending:
            return pending.pop(0), b"temporarily unavailable"
        if endpoint == "esearch.fcgi":
            if self.esearch_error:
                result: dict[str, object] = {"ERROR": self.esearch_error}
            else:
                retmax = int(params.get("retmax", "20"))
                result = {
                    "count": str(len(self.ids)),
                    "retmax": str(min(retmax, len(self.ids))),
                    "retstart": "0",
                    "idlist": self.ids[:retmax],
                    "translationset": [],
                }
            body = {"header": {"type": "esearch", "version": "0.3"}, "esearchresult": result}
            return 200, json.dumps(body).encode()
        if endpoint == "efetch.fcgi":
            articles = "\n".join(ARTICLE.format(pmid=p) for p in params["id"].split(","))
            xml = f'<?xml version="1.0" ?>\n<PubmedArticleSet>\n{articles}\n</PubmedArticleSet>\n'
            data = xml.encode()
            if self.truncate_efetch:
                self.truncate_efetch -= 1
                data = data[: len(data) // 2]
            return 200, data
        return 404, b"not found"


def _handler(fake: FakeEUtils) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            parsed = urllib.parse.urlsplit(self.path)
            query = parsed.query
            if self.command == "POST":
                length = int(self.headers.get("Content-Length", "0"))
                query = self.rfile.read(length).decode("ascii")
            params = dict(urllib.parse.parse_qsl(query, keep_blank_values=True))
            endpoint = parsed.path.rsplit("/", 1)[-1]
            fake.requests.append(Seen(time.monotonic(), endpoint, self.command, params))
            status, body = fake.answer(endpoint, params)
            self.send_response(status)
            if status == 503:
                self.send_header("Retry-After", "0")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = _serve
        do_POST = _serve

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@pytest.fixture
def fake() -> Iterator[FakeEUtils]:
    state = FakeEUtils()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
    )
    thread.start()
    state.base_url = f"http://127.0.0.1:{server.server_address[1]}/entrez/eutils/"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _settings(tmp_path: Path, base_url: str, *, key: str | None = None) -> Settings:
    return Settings(
        home=tmp_path / "home",
        eutils_base_url=base_url,
        ncbi_api_key=key,
        ncbi_email="tester@example.org" if key else None,
        download_timeout_s=5,
    )


def fast_fetch(
    query: str,
    dest: Path,
    settings: Settings,
    *,
    max_results: int = 100,
    batch_size: int = 100,
    on_progress: Callable[[int, int], None] | None = None,
) -> list[Path]:
    """fetch_pubmed without the NCBI-sized waits: no rate-limit spacing, 10 ms backoff."""
    return fetch_pubmed(
        query,
        dest,
        settings,
        max_results=max_results,
        batch_size=batch_size,
        on_progress=on_progress,
        min_interval_s=0.0,
        backoff_s=0.01,
    )


def test_fetch_writes_batches_with_ncbi_parameters(tmp_path: Path, fake: FakeEUtils) -> None:
    dest = tmp_path / "fetch"
    progress: list[tuple[int, int]] = []
    paths = fast_fetch(
        "zorblax[tiab]",
        dest,
        _settings(tmp_path, fake.base_url, key="k3y"),
        max_results=7,
        batch_size=3,
        on_progress=lambda done, total: progress.append((done, total)),
    )
    assert [p.name for p in paths] == ["batch-0001.xml", "batch-0002.xml", "batch-0003.xml"]
    assert progress == [(3, 7), (6, 7), (7, 7)]
    assert not list(dest.glob(".*.tmp"))

    (search,) = fake.of("esearch.fcgi")
    assert search.params == {
        "db": "pubmed",
        "term": "zorblax[tiab]",
        "retmax": "7",
        "retmode": "json",
        "tool": "medcite",
        "email": "tester@example.org",
        "api_key": "k3y",
    }
    fetches = fake.of("efetch.fcgi")
    assert [r.params["id"] for r in fetches] == [
        ",".join(IDS[0:3]),
        ",".join(IDS[3:6]),
        ",".join(IDS[6:7]),
    ]
    for r in fetches:
        assert r.method == "POST"
        assert r.params["db"] == "pubmed"
        assert (r.params["retmode"], r.params["rettype"]) == ("xml", "abstract")
        assert (r.params["api_key"], r.params["tool"]) == ("k3y", "medcite")

    # The batches are PubMed XML the loader reads, in search order.
    loader = PubMedXMLLoader()
    docs = [d for p in paths for d in loader.load(p, LoadOptions()) if isinstance(d, Document)]
    assert [d.source_id for d in docs] == IDS


def test_no_key_no_email_sent_when_unset(tmp_path: Path, fake: FakeEUtils) -> None:
    fast_fetch("quibble", tmp_path / "f", _settings(tmp_path, fake.base_url), max_results=4)
    for r in fake.requests:
        assert "api_key" not in r.params and "email" not in r.params
        assert r.params["tool"] == "medcite"
    assert fake.of("efetch.fcgi")[0].params["id"] == ",".join(IDS[:4])


def test_interrupted_fetch_resumes_without_refetching(tmp_path: Path, fake: FakeEUtils) -> None:
    dest = tmp_path / "fetch"
    settings = _settings(tmp_path, fake.base_url)
    fake.fail_efetch_after = 1  # the first batch arrives, then NCBI goes down
    with pytest.raises(SourceUnavailableError):
        fast_fetch("zorblax", dest, settings, max_results=7, batch_size=3)
    assert (dest / "batch-0001.xml").exists()
    assert not (dest / "batch-0002.xml").exists()
    assert not list(dest.glob(".*.tmp"))  # no half-written batch left behind
    first_batch = (dest / "batch-0001.xml").read_bytes()

    fake.fail_efetch_after = None
    fake.requests.clear()
    paths = fast_fetch("zorblax", dest, settings, max_results=7, batch_size=3)
    assert len(paths) == 3
    # The saved PMID list is reused (no new search) and only missing batches are fetched.
    assert fake.of("esearch.fcgi") == []
    assert [r.params["id"] for r in fake.of("efetch.fcgi")] == [
        ",".join(IDS[3:6]),
        ",".join(IDS[6:7]),
    ]
    assert (dest / "batch-0001.xml").read_bytes() == first_batch

    fake.requests.clear()
    assert fast_fetch("zorblax", dest, settings, max_results=7, batch_size=3) == paths
    assert fake.requests == []  # a finished fetch needs no network at all


def test_retries_after_one_503(tmp_path: Path, fake: FakeEUtils) -> None:
    fake.failures["efetch.fcgi"] = [503]
    paths = fast_fetch("zorblax", tmp_path / "f", _settings(tmp_path, fake.base_url))
    fetches = fake.of("efetch.fcgi")
    assert len(fetches) == 2
    assert fetches[0].params["id"] == fetches[1].params["id"] == ",".join(IDS)
    assert paths[0].read_bytes().rstrip().endswith(b"</PubmedArticleSet>")


def test_cut_short_answer_is_retried(tmp_path: Path, fake: FakeEUtils) -> None:
    fake.truncate_efetch = 1
    (path,) = fast_fetch("zorblax", tmp_path / "f", _settings(tmp_path, fake.base_url))
    assert len(fake.of("efetch.fcgi")) == 2
    docs = [d for d in PubMedXMLLoader().load(path, LoadOptions()) if isinstance(d, Document)]
    assert len(docs) == len(IDS)


def test_persistent_5xx_gives_up_after_max_tries(tmp_path: Path, fake: FakeEUtils) -> None:
    fake.always_fail["esearch.fcgi"] = 502
    with pytest.raises(SourceUnavailableError, match="HTTP 502"):
        fast_fetch("zorblax", tmp_path / "f", _settings(tmp_path, fake.base_url))
    assert len(fake.of("esearch.fcgi")) == 3


def test_client_error_is_not_retried(tmp_path: Path, fake: FakeEUtils) -> None:
    fake.always_fail["esearch.fcgi"] = 400
    with pytest.raises(IngestError, match="HTTP 400") as info:
        fast_fetch("zorblax", tmp_path / "f", _settings(tmp_path, fake.base_url))
    assert not isinstance(info.value, SourceUnavailableError)
    assert len(fake.of("esearch.fcgi")) == 1


def test_requests_respect_the_minimum_interval(tmp_path: Path, fake: FakeEUtils) -> None:
    interval = 0.1
    fetch_pubmed(
        "zorblax",
        tmp_path / "f",
        _settings(tmp_path, fake.base_url),
        max_results=7,
        batch_size=2,
        min_interval_s=interval,
    )
    times = [r.at for r in fake.requests]
    assert len(times) == 5  # one search, four batches
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert min(gaps) >= interval - 0.02, gaps


def test_default_interval_follows_ncbi_limits(tmp_path: Path) -> None:
    assert default_min_interval(None) == pytest.approx(1 / 3)
    assert default_min_interval("key") == pytest.approx(1 / 10)
    with_key = EUtilsClient(_settings(tmp_path, "http://127.0.0.1:9/", key="key"))
    without = EUtilsClient(_settings(tmp_path, "http://127.0.0.1:9/"))
    assert with_key.min_interval == pytest.approx(0.1)
    assert without.min_interval == pytest.approx(1 / 3)


def test_unreachable_server(tmp_path: Path) -> None:
    with socket.socket() as sock:  # a port nothing listens on once closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings = _settings(tmp_path, f"http://127.0.0.1:{port}/entrez/eutils/")
    with pytest.raises(SourceUnavailableError, match="cannot connect") as info:
        fast_fetch("zorblax", tmp_path / "f", settings)
    assert info.value.hint


@pytest.mark.parametrize("query", ["", "   \n"])
def test_empty_query_is_refused_before_any_request(
    tmp_path: Path, fake: FakeEUtils, query: str
) -> None:
    with pytest.raises(QueryError):
        fast_fetch(query, tmp_path / "f", _settings(tmp_path, fake.base_url))
    assert fake.requests == []


def test_query_rejected_by_pubmed(tmp_path: Path, fake: FakeEUtils) -> None:
    fake.esearch_error = "Invalid query"
    with pytest.raises(QueryError, match="Invalid query"):
        fast_fetch("((", tmp_path / "f", _settings(tmp_path, fake.base_url))
    assert not (tmp_path / "f" / MANIFEST_NAME).exists()


def test_no_results(tmp_path: Path, fake: FakeEUtils) -> None:
    fake.ids = []
    progress: list[tuple[int, int]] = []
    paths = fast_fetch(
        "nothing",
        tmp_path / "f",
        _settings(tmp_path, fake.base_url),
        on_progress=lambda d, t: progress.append((d, t)),
    )
    assert paths == []
    assert progress == [(0, 0)]
    assert fake.of("efetch.fcgi") == []


def test_changed_fetch_keeps_only_unchanged_batches(tmp_path: Path, fake: FakeEUtils) -> None:
    dest = tmp_path / "f"
    settings = _settings(tmp_path, fake.base_url)
    fast_fetch("zorblax", dest, settings, max_results=3, batch_size=3)
    first = (dest / "batch-0001.xml").read_bytes()

    # More results for the same query: a new search; the first batch still holds the same PMIDs.
    fake.requests.clear()
    paths = fast_fetch("zorblax", dest, settings, max_results=7, batch_size=3)
    assert [p.name for p in paths] == ["batch-0001.xml", "batch-0002.xml", "batch-0003.xml"]
    assert len(fake.of("esearch.fcgi")) == 1
    assert [r.params["id"] for r in fake.of("efetch.fcgi")] == [",".join(IDS[3:6]), IDS[6]]
    assert (dest / "batch-0001.xml").read_bytes() == first

    # Another query into the same directory: every batch is replaced, stale ones removed.
    fake.ids = [f"9920000{i}" for i in range(1, 5)]
    fake.requests.clear()
    paths = fast_fetch("quibble", dest, settings, max_results=4, batch_size=3)
    assert [p.name for p in paths] == ["batch-0001.xml", "batch-0002.xml"]
    assert not (dest / "batch-0003.xml").exists()
    assert len(fake.of("efetch.fcgi")) == 2
    loader = PubMedXMLLoader()
    docs = [d for p in paths for d in loader.load(p, LoadOptions()) if isinstance(d, Document)]
    assert [d.source_id for d in docs] == fake.ids
    assert sorted(p.name for p in dest.glob("batch-*.xml")) == [p.name for p in paths]
