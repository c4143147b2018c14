"""The learned subject model: is a sentence the rules keep about the question's subject?

The rule scorer keeps a sentence that names the subject or sits on a page about it; that still
lets through sentences that name the subject in passing while speaking of something else
("Uveitis is found in more than half of people with Behcet disease", "Insulin, made by beta
cells, ..." for a question on glucagon). This model weighs what the rules already see (how,
where and how fully the sentence names the subject, what page it is on, what else it names)
into a probability that the sentence is about another subject. It is logistic regression
(medcite.learn.linear), trained by `make train` on hand labels of the statements medcite showed
for the tuning half (odd questions) of the answer benchmark, and checked on the labels of the
report half (src/medcite/eval/data/subject_labels.jsonl); the threshold is chosen on the tuning
half. Every decision can be explained by its features' contributions (``--explain``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from medcite.learn.relevance import RelevanceModel

MODEL_FILE = Path(__file__).parent / "data" / "subject.json"
TRAINING_LABELS = Path(__file__).parent / "data" / "subject_tuning_labels.jsonl"

FEATURES: tuple[str, ...] = (
    "names the subject",  # how fully the sentence (or its list's lead-in) names it, 0-1
    "names it as asked",  # the same, only by names keeping the question's words, together
    "page about the subject",  # how fully its page's title names the subject, 0-1
    "page on the subject",  # its page is on the subject (by title or definition), 0/1
    "page on a narrower concept",  # 0/1
    "page titled with another concept",  # "Low Blood Pressure" for high blood pressure, 0/1
    "subject named late",  # where the sentence first names it (0 first word, 1 never)
    "other concepts named",  # vocabulary concepts sharing no word with the subject, 0-3
    "question words carried",  # share of the question's content words in the sentence
    "list item",  # 0/1
    "names its page's topic",  # 0/1
    "narrowed subject",  # the subject is a drug or narrower concept the question names, 0/1
    "specific word in the sentence",  # its own words, not only its lead-in or page, 0/1
    "consumer or reference page",  # 0/1
    "another concept named first",  # the sentence's first concept shares no word with it, 0/1
    "hard, another page",  # patient mode: over grade 15, on a page not on the subject, 0/1
    "names another page's topic",  # names its page's topic, a page not on the subject, 0/1
    "names a narrower concept",  # and not the subject itself ("hemifacial spasm"), 0/1
    "retrieval rank",  # log(1 + its passage's rank in the retrieved list)
)


@dataclass(frozen=True, slots=True)
class SubjectModel:
    linear: RelevanceModel  # features standardised, weights, bias
    threshold: float  # a sentence more likely than this to be off the subject is dropped

    @classmethod
    def load(cls, path: Path = MODEL_FILE) -> SubjectModel:
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(RelevanceModel.load(path), float(data["threshold"]))

    def save(self, path: Path, meta: dict[str, object]) -> None:
        self.linear.save(path, meta)
        data = json.loads(path.read_text(encoding="utf-8"))
        data["threshold"] = round(self.threshold, 4)
        path.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")

    def off_subject(self, row: dict[str, float]) -> float:
        """Probability that the sentence with these features is about another subject."""
        return self.linear.probability([row[name] for name in self.linear.features])

    def explain(self, row: dict[str, float], limit: int = 3) -> list[tuple[str, float]]:
        return self.linear.explain([row[name] for name in self.linear.features], limit)


@cache
def default_model() -> SubjectModel | None:
    """The shipped model (None when it has not been trained: the rules then decide alone)."""
    return SubjectModel.load() if MODEL_FILE.exists() else None
