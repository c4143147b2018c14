"""Retrieval benchmark sets read from their published files.

- NFCorpus (Boteva et al., ECIR 2016): ``test.docs`` (id TAB text), ``test.<form>.queries``,
  graded qrels ``test.3-2-1.qrel`` (query 0 doc grade).
- BioASQ Task B golden files (``*/*_golden.json``): every gold snippet of every question is
  pooled into one corpus (identical texts merged); each question's relevant documents are its
  own gold snippets.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from medcite.errors import MedciteError


@dataclass(slots=True)
class RetrievalDataset:
    name: str
    corpus: dict[str, str]
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]] = field(default_factory=dict)


def _need(path: Path) -> Path:
    if not path.exists():
        raise MedciteError(
            f"benchmark file not found: {path}", hint="Point --data at the dataset folder."
        )
    return path


def load_nfcorpus(
    folder: Path, *, split: str = "test", queries: str = "titles"
) -> RetrievalDataset:
    corpus: dict[str, str] = {}
    for line in _need(folder / f"{split}.docs").read_text(encoding="utf-8").splitlines():
        if "\t" in line:
            doc_id, text = line.split("\t", 1)
            corpus[doc_id] = text
    qrels: dict[str, dict[str, int]] = {}
    for line in _need(folder / f"{split}.3-2-1.qrel").read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) == 4:
            qrels.setdefault(parts[0], {})[parts[2]] = int(parts[3])
    query_text: dict[str, str] = {}
    for line in (
        _need(folder / f"{split}.{queries}.queries").read_text(encoding="utf-8").splitlines()
    ):
        if "\t" in line:
            qid, text = line.split("\t", 1)
            if qid in qrels:
                query_text[qid] = text
    return RetrievalDataset(
        f"nfcorpus-{split}", corpus, query_text, {q: qrels[q] for q in query_text}
    )


def snippet_id(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


# For tuning without touching the test data: older BioASQ rounds are "dev", the newest "test".
BIOASQ_SPLITS = {"dev": ("7B", "8B", "9B"), "test": ("10B", "11B")}


def load_bioasq(folder: Path, split: str = "all") -> RetrievalDataset:
    files = sorted(folder.glob("*/*_golden.json")) or sorted(folder.glob("*_golden.json"))
    if split != "all":
        rounds = BIOASQ_SPLITS[split]
        files = [f for f in files if f.name.startswith(rounds)]
    if not files:
        raise MedciteError(f"no BioASQ *_golden.json files under {folder}")
    corpus: dict[str, str] = {}
    queries: dict[str, str] = {}
    qrels: dict[str, dict[str, int]] = {}
    for path in files:
        for question in json.loads(path.read_text(encoding="utf-8"))["questions"]:
            gold = {}
            for snippet in question.get("snippets", []):
                text = " ".join(str(snippet.get("text", "")).split())
                if text:
                    sid = snippet_id(text)
                    corpus[sid] = text
                    gold[sid] = 1
            if gold:
                qid = f"{path.stem}:{question['id']}"
                queries[qid] = " ".join(str(question["body"]).split())
                qrels[qid] = gold
    return RetrievalDataset(f"bioasq-{split}", corpus, queries, qrels)


def load_dataset(name: str, folder: Path, split: str | None = None) -> RetrievalDataset:
    """``split``: nfcorpus dev|test (default test); bioasq dev (7B-9B) | test (10B-11B) | all (default)."""
    if name == "nfcorpus":
        return load_nfcorpus(folder, split=split or "test")
    if name == "bioasq":
        if split not in (None, "all", *BIOASQ_SPLITS):
            raise MedciteError(f"unknown BioASQ split {split!r}", hint="dev, test or all")
        return load_bioasq(folder, split or "all")
    raise MedciteError(f"unknown dataset {name!r}", hint="Known: nfcorpus, bioasq")
