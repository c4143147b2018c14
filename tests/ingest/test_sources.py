from __future__ import annotations

import errno
import io
import socket
import threading
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterator
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from medcite.config import Settings
from medcite.errors import SourceUnavailableError, UnknownSourceError
from medcite.ingest.sources import SOURCES, get_source, resolve_source


def _medquad_zip(fixtures: Path) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for f in sorted((fixtures / "medquad/1_Synthetic_QA").glob("*.xml")):
            zf.write(f, f"MedQuAD-master/1_Synthetic_QA/{f.name}")
        zf.writestr("MedQuAD-master/readme.txt", "paperwork")
    return buf.getvalue()


def _evil_zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("../../escaped.xml", "<Document/>")
    return buf.getvalue()


class _Server:
    def __init__(self, routes: dict[str, bytes]) -> None:
        self.routes = routes
        self.requests: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.requests.append(self.path)
                body = outer.routes.get(self.path)
                if body is None:
                    self.send_response(404)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server(fixtures: Path) -> Iterator[_Server]:
    srv = _Server(
        {
            "/medquad.zip": _medquad_zip(fixtures),
            "/ori_pqal.json": (fixtures / "pubmedqa/ori_pqal.json").read_bytes(),
            "/evil.zip": _evil_zip(),
            "/broken.zip": b"PK\x03\x04 not really a zip",
        }
    )
    yield srv
    srv.close()


def _settings(tmp_path: Path, server: _Server, **urls: str) -> Settings:
    return Settings(
        home=tmp_path / "home",
        mirror=None,
        source_url_overrides={k: server.base + v for k, v in urls.items()},
    )


def test_download_zip_once_then_cache(tmp_path: Path, server: _Server) -> None:
    settings = _settings(tmp_path, server, medquad="/medquad.zip")
    source = SOURCES["medquad"]
    root = resolve_source(source, settings)
    files = source.files(root)
    assert sorted(f.name for f in files) == [
        "0000001.xml",
        "0000002.xml",
        "0000003.xml",
        "0000004.xml",
    ]
    assert resolve_source(source, settings) == root
    assert server.requests == ["/medquad.zip"]  # the second resolve used the cache


def test_download_single_file(tmp_path: Path, server: _Server) -> None:
    settings = _settings(tmp_path, server, pubmedqa="/ori_pqal.json")
    root = resolve_source(SOURCES["pubmedqa"], settings)
    assert root.name == "ori_pqal.json" and root.read_bytes() == server.routes["/ori_pqal.json"]


def test_mirror_wins_and_is_never_downloaded_around(tmp_path: Path, fixtures: Path) -> None:
    mirror = tmp_path / "mirror"
    (mirror / "pubmedqa").mkdir(parents=True)
    (mirror / "pubmedqa/ori_pqal.json").write_bytes(
        (fixtures / "pubmedqa/ori_pqal.json").read_bytes()
    )
    settings = Settings(home=tmp_path / "home", mirror=mirror)
    assert resolve_source(SOURCES["pubmedqa"], settings) == mirror / "pubmedqa/ori_pqal.json"
    with pytest.raises(SourceUnavailableError, match="not in the mirror"):
        resolve_source(SOURCES["ngc"], settings)


def test_unreachable_source_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings = Settings(
        home=tmp_path / "h",
        mirror=None,
        download_timeout_s=5,
        source_url_overrides={"pubmedqa": f"http://127.0.0.1:{port}/x.json"},
    )
    with pytest.raises(SourceUnavailableError) as info:
        resolve_source(SOURCES["pubmedqa"], settings)
    message = info.value.message
    assert f"cannot download pubmedqa from http://127.0.0.1:{port}/x.json (connection refused)" in (
        message
    )
    assert "set MEDCITE_MIRROR=" in message and "ngc-guidelines/summaries/" in message
    assert "urlopen" not in message and info.value.hint is None  # one line, fix included
    assert not (tmp_path / "h/sources/pubmedqa/.complete").exists()


@pytest.mark.parametrize(
    ("error", "cause"),
    [
        (urllib.error.URLError(socket.gaierror(-3, "Temporary failure")), "network unreachable"),
        (urllib.error.URLError(OSError(errno.ENETUNREACH, "unreachable")), "network unreachable"),
        (TimeoutError("timed out"), "no answer within 5 s"),
        (
            urllib.error.HTTPError("http://x", 404, "Not Found", Message(), None),
            "HTTP 404 Not Found",
        ),
    ],
)
def test_download_failures_are_named_plainly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: Exception, cause: str
) -> None:
    def fail(*args: object, **kwargs: object) -> None:
        raise error

    monkeypatch.setattr(urllib.request, "urlopen", fail)
    settings = Settings(home=tmp_path / "h", mirror=None, download_timeout_s=5)
    with pytest.raises(SourceUnavailableError) as info:
        resolve_source(SOURCES["medquad"], settings)
    assert f"({cause}" in info.value.message and "Errno" not in info.value.message


@pytest.mark.parametrize(("route", "match"), [("/evil.zip", "escapes"), ("/broken.zip", "corrupt")])
def test_bad_archives_are_refused(tmp_path: Path, server: _Server, route: str, match: str) -> None:
    settings = _settings(tmp_path, server, medquad=route)
    with pytest.raises(SourceUnavailableError, match=match):
        resolve_source(SOURCES["medquad"], settings)
    assert not (tmp_path / "escaped.xml").exists()


def test_unknown_source() -> None:
    with pytest.raises(UnknownSourceError):
        get_source("nosuchcorpus")
