"""Text analysis shared by the keyword index and its queries.

Medical text needs: numbers with decimals kept whole ("2.5"), alphanumeric codes kept whole
("HbA1c", "COVID19"), hyphenated words split into their parts ("beta-blocker" -> beta, blocker:
both spellings then match), English stemming ("spasms" -> spasm), and stop words dropped.
"""

from __future__ import annotations

from functools import lru_cache

import tantivy

ANALYZER_NAME = "medical"
# Letters/digits runs; a decimal part stays attached to its number.
TOKEN_PATTERN = r"[^\W_]+(?:[.,][0-9]+)?"
# English function words and question words: plain grammar, no medical content.
STOPWORDS = [
    "a",
    "about",
    "after",
    "all",
    "also",
    "am",
    "an",
    "and",
    "any",
    "are",
    "as",
    "at",
    "be",
    "been",
    "before",
    "being",
    "but",
    "by",
    "can",
    "could",
    "did",
    "do",
    "does",
    "doing",
    "for",
    "from",
    "had",
    "has",
    "have",
    "having",
    "he",
    "her",
    "here",
    "him",
    "his",
    "how",
    "i",
    "if",
    "in",
    "into",
    "is",
    "it",
    "its",
    "me",
    "more",
    "my",
    "no",
    "nor",
    "not",
    "of",
    "on",
    "or",
    "our",
    "out",
    "over",
    "she",
    "should",
    "so",
    "such",
    "than",
    "that",
    "the",
    "their",
    "them",
    "then",
    "there",
    "these",
    "they",
    "this",
    "those",
    "through",
    "to",
    "too",
    "under",
    "until",
    "up",
    "very",
    "was",
    "we",
    "were",
    "what",
    "when",
    "where",
    "which",
    "while",
    "who",
    "whom",
    "why",
    "will",
    "with",
    "would",
    "you",
    "your",
]


def build_analyzer() -> tantivy.TextAnalyzer:
    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.regex(TOKEN_PATTERN))
        .filter(tantivy.Filter.remove_long(40))
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.custom_stopword(STOPWORDS))
        .filter(tantivy.Filter.stemmer("english"))
        .build()
    )


@lru_cache(maxsize=1)
def _analyzer() -> tantivy.TextAnalyzer:
    return build_analyzer()


def analyze(text: str) -> list[str]:
    """The index terms of ``text``, in order (duplicates kept)."""
    return list(_analyzer().analyze(text))
