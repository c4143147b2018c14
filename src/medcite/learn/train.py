"""`make train`: learn the intent and relevance models from MedQuAD in the store, reproducibly.

Both models learn from the MedQuAD pages of the default corpus (`medcite ingest --default`);
pages are split by a hash of their id, four fifths to learn from and one fifth held out, and
every figure reported is on the held-out pages. Nothing here reads the answer benchmarks
(MedLFQA, TREC LiveQA): they are the test.

- intent model (medcite.learn.intent): every sentence of every answer, labelled with the
  answer's question type, grouped into intents;
- relevance model (medcite.learn.relevance): for a sample of MedQuAD questions, the composer's
  own candidates (the sentences of the passages the retriever finds for the question), labelled
  1 when the sentence belongs to that question's own answer. Hard negatives come for free:
  the same page's answers to other questions (other intents) and other pages on the subject.
  A sentence of another page on the same subject answering the same kind of question may be a
  true answer too: such ambiguous sentences are left out rather than labelled 0.

Usage: python -m medcite.learn.train [--questions 700] [--out src/medcite/learn/data]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from medcite.config import get_settings
from medcite.learn.features import FEATURES, QueryContext, feature_rows
from medcite.learn.intent import CLASSES, GROUPS, MODEL_FILE, IntentModel, features
from medcite.learn.linear import (
    SparseRows,
    auc,
    predict_multinomial,
    train_logistic,
    train_multinomial,
)
from medcite.learn.relevance import MODEL_FILE as RELEVANCE_FILE, RelevanceModel
from medcite.store.sqlite import SQLiteStore

HELD_OUT = 5  # one page in five is held out
MIN_STEM_SENTENCES = 3  # a stem in fewer training sentences gets no weight
NEGATIVES_PER_QUESTION = 30
SEED = 20261207


def held_out(source_id: str) -> bool:
    return int(hashlib.sha1(source_id.encode()).hexdigest(), 16) % HELD_OUT == 0


@dataclass(frozen=True, slots=True)
class Question:
    document_id: int
    source_id: str
    qid: str
    text: str
    group: str
    focus: str


def medquad_questions(store: SQLiteStore) -> list[Question]:
    out: dict[str, Question] = {}
    for doc_id, source_id, focus, section, qid, qtype, _ in store.answer_passages("medquad"):
        if qtype in GROUPS and qid not in out:
            out[qid] = Question(doc_id, source_id, qid, section, GROUPS[qtype], focus)
    return sorted(out.values(), key=lambda q: hashlib.sha1(q.qid.encode()).hexdigest())


def intent_examples(store: SQLiteStore) -> Iterator[tuple[bool, list[str], str]]:
    """(held out, stems, intent) for every sentence of every MedQuAD answer."""
    from medcite.ingest.chunking import sentences

    for _, source_id, _, _, _, qtype, text in store.answer_passages("medquad"):
        group = GROUPS.get(qtype)
        if group is None:
            continue
        for sentence in sentences(text):
            if len(sentence.split()) >= 3:
                yield held_out(source_id), features(sentence), group


def train_intent(store: SQLiteStore) -> tuple[IntentModel, dict[str, object]]:
    started = time.perf_counter()
    examples = list(intent_examples(store))
    train = [e for e in examples if not e[0]]
    test = [e for e in examples if e[0]]
    counts: dict[str, int] = {}
    for _, stems, _ in train:
        for s in stems:
            counts[s] = counts.get(s, 0) + 1
    vocab = sorted(s for s, n in counts.items() if n >= MIN_STEM_SENTENCES)
    index = {s: i for i, s in enumerate(vocab)}
    label = {c: i for i, c in enumerate(CLASSES)}

    def rows(data: list[tuple[bool, list[str], str]]) -> SparseRows:
        return SparseRows.of([[index[s] for s in stems if s in index] for _, stems, _ in data])

    y_train = np.array([label[g] for _, _, g in train], dtype=np.int64)
    weights, bias = train_multinomial(rows(train), y_train, len(vocab), len(CLASSES))
    accuracy = majority = float("nan")  # a corpus too small to hold pages out
    if test:
        probs = predict_multinomial(rows(test), weights, bias)
        y_test = np.array([label[g] for _, _, g in test], dtype=np.int64)
        accuracy = float((probs.argmax(axis=1) == y_test).mean())
        majority = float(np.bincount(y_test, minlength=len(CLASSES)).max() / len(y_test))
    model = IntentModel(
        CLASSES,
        tuple(float(b) for b in bias),
        {s: tuple(float(x) for x in weights[i]) for s, i in index.items()},
    )
    report: dict[str, object] = {
        "sentences_train": len(train),
        "sentences_held_out": len(test),
        "vocabulary": len(vocab),
        "held_out_accuracy": round(accuracy, 4),
        "held_out_majority_class": round(majority, 4),
        "seconds": round(time.perf_counter() - started, 1),
    }
    return model, report


def relevance_examples(
    store: SQLiteStore, questions: list[Question], intent_model: IntentModel, embed: bool
) -> tuple[list[list[float]], list[float], list[str]]:
    """Feature rows, labels and question ids over the composer's candidates for each question."""
    from medcite.compose.candidates import content_stems, extract
    from medcite.compose.focus import question_focus
    from medcite.retrieve.hybrid import HybridRetriever

    settings = get_settings()
    retriever = HybridRetriever.open(store, settings)
    embedder = None
    if embed:
        from medcite.index.embed import MiniLMEmbedder

        embedder = MiniLMEmbedder()
    rows: list[list[float]] = []
    labels: list[float] = []
    owners: list[str] = []
    for q in questions:
        hits, analysis = retriever.search(q.text, 30)
        focus = question_focus(analysis, analysis.text, retriever, store)
        candidates = extract(hits)
        positives, negatives = [], []
        for c in candidates:
            meta = c.evidence.passage.meta
            doc = c.evidence.document
            if doc.id == q.document_id and meta.get("qid") == q.qid:
                positives.append(c)
                continue
            same_subject = content_stems(doc.focus or doc.title) == content_stems(q.focus)
            same_kind = GROUPS.get(str(meta.get("qtype"))) == q.group
            if doc.id != q.document_id and same_subject and same_kind:
                continue  # another page's answer to the same question: not a negative
            negatives.append(c)
        if not positives:
            continue  # the retriever missed the answer: nothing to learn about ranking it
        random.Random(f"{SEED}-{q.qid}").shuffle(negatives)
        chosen = positives + negatives[:NEGATIVES_PER_QUESTION]
        ctx = QueryContext(q.text, tuple(i.value for i in analysis.intents), focus, intent_model)
        cos = None
        if embedder is not None:
            vectors = embedder.embed([q.text, *(c.shown for c in chosen)])
            cos = [float(x) for x in vectors[1:] @ vectors[0]]
        rows += feature_rows(chosen, ctx, cos)
        labels += [1.0] * len(positives) + [0.0] * (len(chosen) - len(positives))
        owners += [q.qid] * len(chosen)
    return rows, labels, owners


def train_relevance(
    store: SQLiteStore, intent_model: IntentModel, n_questions: int, embed: bool
) -> tuple[RelevanceModel, dict[str, object]]:
    started = time.perf_counter()
    questions = medquad_questions(store)
    train_q = [q for q in questions if not held_out(q.source_id)][:n_questions]
    test_q = [q for q in questions if held_out(q.source_id)][: max(n_questions // 4, 50)]
    x_train, y_train, _ = relevance_examples(store, train_q, intent_model, embed)
    x_test, y_test, _ = relevance_examples(store, test_q, intent_model, embed)
    if not x_train:
        raise SystemExit("no MedQuAD question found its own answer among the candidates")
    x, y = np.array(x_train), np.array(y_train)
    mean = x.mean(axis=0)
    scale = np.where(x.std(axis=0) > 1e-9, x.std(axis=0), 1.0)
    weights, bias = train_logistic((x - mean) / scale, y)
    model = RelevanceModel(
        FEATURES,
        tuple(float(v) for v in mean),
        tuple(float(v) for v in scale),
        tuple(float(v) for v in weights),
        bias,
    )
    scores = [model.probability(r) for r in x_test]
    gold = [bool(v) for v in y_test]
    single = {name: round(auc([r[i] for r in x_test], gold), 4) for i, name in enumerate(FEATURES)}
    report: dict[str, object] = {
        "questions_train": len(train_q),
        "questions_held_out": len(test_q),
        "examples_train": len(y_train),
        "examples_held_out": len(y_test),
        "positives_train": int(sum(y_train)),
        "held_out_auc": round(auc(scores, gold), 4),
        "held_out_auc_of_each_feature_alone": single,
        "minilm_cosine": embed,
        "seconds": round(time.perf_counter() - started, 1),
    }
    return model, report


def _without_timing(report: dict[str, object]) -> dict[str, object]:
    return {k: v for k, v in report.items() if k != "seconds"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--questions", type=int, default=700, help="MedQuAD questions to learn from"
    )
    parser.add_argument("--out", type=Path, default=MODEL_FILE.parent)
    parser.add_argument(
        "--no-cosine", action="store_true", help="Leave out the MiniLM feature (no dense extra)."
    )
    args = parser.parse_args()
    settings = get_settings()
    with SQLiteStore(settings.db_path) as store:
        if not store.answer_passages("medquad"):
            raise SystemExit("no MedQuAD pages in the store: run `medcite ingest --default` first")
        intent_model, intent_report = train_intent(store)
        print(json.dumps({"intent": intent_report}, indent=1))
        # Timings vary from run to run: printed, not written, so the model files are identical.
        intent_model.save(args.out / "intent.json", _without_timing(intent_report))
        relevance, relevance_report = train_relevance(
            store, intent_model, args.questions, embed=not args.no_cosine
        )
        print(json.dumps({"relevance": relevance_report}, indent=1))
        relevance.save(args.out / RELEVANCE_FILE.name, _without_timing(relevance_report))


if __name__ == "__main__":
    main()
