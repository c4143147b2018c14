"""Named corpus sources: where each is published, and how to find it in a local mirror.

``medcite ingest medquad ngc pubmedqa`` resolves each name to a folder of
files: ``$MEDCITE_MIRROR/<mirror_path>`` when a mirror is configured (offline
installs, CI), otherwise a cached download under ``$MEDCITE_HOME/sources``,
fetched from the public address on first use.
"""

from __future__ import annotations

import errno
import re
import shutil
import socket
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from medcite.config import Settings
from medcite.errors import SourceUnavailableError, UnknownSourceError

ProgressFn = Callable[[int, int | None], None]  # (bytes so far, total bytes or None)


@dataclass(frozen=True, slots=True)
class NamedSource:
    name: str
    title: str
    format: str  # loader format of its files
    url: str  # public download address
    archive: str  # "zip" (a repository archive) or "file" (a single file)
    mirror_path: str  # where it sits inside MEDCITE_MIRROR
    homepage: str
    licence: str
    citation: str
    file_pattern: str  # glob (recursive) selecting its content files under the root
    path_filter: str | None = None  # regex a file's parent folder name must match

    def files(self, root: Path) -> list[Path]:
        if root.is_file():
            return [root]
        found = sorted(p for p in root.glob(self.file_pattern) if p.is_file())
        if self.path_filter:
            rx = re.compile(self.path_filter)
            found = [p for p in found if rx.search(p.parent.name)]
        return found


SOURCES: dict[str, NamedSource] = {
    "medquad": NamedSource(
        name="medquad",
        title="MedQuAD: consumer health question-answer pairs from NIH websites",
        format="medquad",
        url="https://github.com/abachaa/MedQuAD/archive/refs/heads/master.zip",
        archive="zip",
        mirror_path="medquad",
        homepage="https://github.com/abachaa/MedQuAD",
        licence="CC BY 4.0",
        citation=(
            "Ben Abacha A, Demner-Fushman D. A question-entailment approach to question "
            "answering. BMC Bioinformatics. 2019;20:511."
        ),
        file_pattern="**/*.xml",
        # The nine answered subsets and the three whose answers were removed: 1_CancerGov_QA ...
        path_filter=r"^\d+_.+_QA",
    ),
    "ngc": NamedSource(
        name="ngc",
        title="AHRQ National Guideline Clearinghouse guideline summaries (archived 2018)",
        format="ngc",
        url="https://github.com/cyberwitch/national-guideline-clearinghouse/archive/refs/heads/master.zip",
        archive="zip",
        mirror_path="ngc-guidelines/summaries",
        homepage="https://github.com/cyberwitch/national-guideline-clearinghouse",
        licence="Each summary is subject to its guideline developer's copyright",
        citation="Agency for Healthcare Research and Quality. National Guideline Clearinghouse.",
        file_pattern="**/ngc-*.xml",
    ),
    "pubmedqa": NamedSource(
        name="pubmedqa",
        title="PubMedQA expert-labelled abstracts (PQA-L)",
        format="pubmedqa",
        url="https://raw.githubusercontent.com/pubmedqa/pubmedqa/master/data/ori_pqal.json",
        archive="file",
        mirror_path="pubmedqa/ori_pqal.json",
        homepage="https://pubmedqa.github.io/",
        licence="MIT",
        citation=(
            "Jin Q, Dhingra B, Liu Z, Cohen W, Lu X. PubMedQA: a dataset for biomedical "
            "research question answering. EMNLP 2019."
        ),
        file_pattern="ori_pqal.json",
    ),
}
DEFAULT_SOURCES: tuple[str, ...] = ("medquad", "ngc", "pubmedqa")


def get_source(name: str) -> NamedSource:
    try:
        return SOURCES[name.lower()]
    except KeyError:
        raise UnknownSourceError(
            f"unknown source {name!r}",
            hint="Known sources: " + ", ".join(sorted(SOURCES)) + " (or give a file/folder path)",
        ) from None


def source_url(source: NamedSource, settings: Settings) -> str:
    return settings.source_url_overrides.get(source.name, source.url)


def mirror_location(source: NamedSource, settings: Settings) -> Path | None:
    if settings.mirror is None:
        return None
    path = settings.mirror / source.mirror_path
    return path if path.exists() else None


def cache_location(source: NamedSource, settings: Settings) -> Path:
    return settings.sources_dir / source.name


def resolve_source(
    source: NamedSource,
    settings: Settings,
    *,
    download: bool = True,
    progress: ProgressFn | None = None,
) -> Path:
    """A local folder (or file) holding the source: mirror, cache, or a fresh download."""
    mirrored = mirror_location(source, settings)
    if mirrored is not None:
        return mirrored
    cache = cache_location(source, settings)
    if (cache / ".complete").exists():
        return _cached_root(source, cache)
    if settings.mirror is not None:
        hint = f"Expected {settings.mirror / source.mirror_path}; will not download while a mirror is set."
        raise SourceUnavailableError(f"source {source.name!r} is not in the mirror", hint=hint)
    if not download:
        raise SourceUnavailableError(f"source {source.name!r} has not been downloaded")
    _download(source, settings, cache, progress)
    return _cached_root(source, cache)


def _cached_root(source: NamedSource, cache: Path) -> Path:
    if source.archive == "file":
        return cache / Path(source.mirror_path).name
    return cache / "content"


def _download(
    source: NamedSource, settings: Settings, cache: Path, progress: ProgressFn | None
) -> None:
    url = source_url(source, settings)
    cache.mkdir(parents=True, exist_ok=True)
    tmp = cache / "download.part"
    try:
        req = urllib.request.Request(url, headers={"User-Agent": "medcite (corpus fetch)"})
        with (
            urllib.request.urlopen(req, timeout=settings.download_timeout_s) as resp,
            tmp.open("wb") as out,
        ):
            total_header = resp.headers.get("Content-Length")
            total = int(total_header) if total_header and total_header.isdigit() else None
            done = 0
            while chunk := resp.read(1 << 16):
                out.write(chunk)
                done += len(chunk)
                if progress:
                    progress(done, total)
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        tmp.unlink(missing_ok=True)
        # One line with the fix: what went wrong, then how to run without the network.
        folders = ", ".join(mirror_folder(SOURCES[name]) for name in DEFAULT_SOURCES)
        raise SourceUnavailableError(
            f"cannot download {source.name} from {url} ({download_failure(exc, settings)}); "
            f"on an offline machine set MEDCITE_MIRROR=/path/to/corpora (a folder with {folders})"
        ) from exc

    if source.archive == "zip":
        target = cache / "content"
        shutil.rmtree(target, ignore_errors=True)
        try:
            with zipfile.ZipFile(tmp) as zf:
                _safe_extract(zf, target)
        except zipfile.BadZipFile as exc:
            raise SourceUnavailableError(
                f"downloaded {source.name} archive is corrupt: {exc}"
            ) from exc
        finally:
            tmp.unlink(missing_ok=True)
    else:
        tmp.replace(cache / Path(source.mirror_path).name)
    (cache / ".complete").write_text(url + "\n", encoding="utf-8")


def mirror_folder(source: NamedSource) -> str:
    """Where the source sits in a mirror, as a folder: 'medquad/', 'pubmedqa/'."""
    path = Path(source.mirror_path)
    return f"{(path.parent if source.archive == 'file' else path).as_posix()}/"


def download_failure(exc: BaseException, settings: Settings) -> str:
    """A short cause for a failed download, instead of urllib's '<urlopen error [Errno -3] ...>'."""
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code} {exc.reason}".strip()
    reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    if isinstance(reason, socket.gaierror):
        return "network unreachable: the host name cannot be resolved"
    if isinstance(reason, TimeoutError):
        return f"no answer within {settings.download_timeout_s:g} s"
    if isinstance(reason, ConnectionRefusedError):
        return "connection refused"
    if isinstance(reason, OSError) and reason.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH):
        return "network unreachable"
    if isinstance(reason, OSError) and reason.strerror:
        return reason.strerror
    return str(reason) or type(reason).__name__


def _safe_extract(zf: zipfile.ZipFile, target: Path) -> None:
    """Extract refusing members that would land outside ``target`` (zip-slip)."""
    root = target.resolve()
    for member in zf.infolist():
        dest = (target / member.filename).resolve()
        if not dest.is_relative_to(root):
            raise SourceUnavailableError(
                f"archive member escapes the target folder: {member.filename}"
            )
    zf.extractall(target)
