"""Body-system categories from the MeSH disease tree.

A quoted cause ("... caused by a spinal cord injury") is grouped under the MeSH top-level
category of the first disease concept it names; an answer is filed under the category of its
focus concept. The category names are MeSH's own top-level headings (C01-C26), shortened.
"""

from __future__ import annotations

import re

from medcite.retrieve.vocabulary import Vocabulary

MESH_CATEGORIES: dict[str, str] = {
    "C01": "Infections",
    "C04": "Cancers and other neoplasms",
    "C05": "Muscle, bone and joint conditions",
    "C06": "Digestive system conditions",
    "C07": "Mouth and teeth conditions",
    "C08": "Lung and breathing conditions",
    "C09": "Ear, nose and throat conditions",
    "C10": "Nervous system conditions",
    "C11": "Eye conditions",
    "C12": "Urinary and male reproductive conditions",
    "C13": "Female reproductive conditions and pregnancy",
    "C14": "Heart and blood vessel conditions",
    "C15": "Blood and lymph conditions",
    "C16": "Inherited and newborn conditions",
    "C17": "Skin and connective tissue conditions",
    "C18": "Metabolic, nutritional and electrolyte problems",
    "C19": "Hormone (endocrine) conditions",
    "C20": "Immune system conditions",
    "C21": "Environmental causes",
    "C23": "General signs and conditions",
    "C24": "Occupational conditions",
    "C25": "Medications, chemicals and substances",
    "C26": "Injuries",
}
OTHER_CAUSES = "Other causes named by the sources"
OTHER_CONDITIONS = "Other conditions"  # related conditions MeSH does not place

# Where a concept sits in several branches, the more specific body system wins over C23
# ("pathological conditions, signs and symptoms"), which collects nearly everything.
_GENERIC_BRANCHES = ("C23",)


def category_of_tree_numbers(tree_numbers: list[str]) -> str | None:
    branches = [t.split(".")[0] for t in tree_numbers if t.startswith("C")]
    specific = [b for b in branches if b not in _GENERIC_BRANCHES and b in MESH_CATEGORIES]
    for branch in specific or branches:
        if branch in MESH_CATEGORIES:
            return MESH_CATEGORIES[branch]
    return None


def filed_under(tree_numbers: list[str], topics: list[str], vocabulary: Vocabulary) -> str | None:
    """The category an answer is filed under: its subject's, else that of the first bottom-line
    source topic MeSH places."""
    category = category_of_tree_numbers(tree_numbers)
    if category:
        return category
    for topic in topics:
        trees = vocabulary.tree_numbers(topic)
        if trees:
            return category_of_tree_numbers(trees)
    return None


_CAUSE_TAIL_RE = re.compile(
    r"\b(caused by|due to|results? from|resulting from|triggered by|brought on by|causes include|"
    r"causes are|cause of|because of|such as)\b",
    re.I,
)


def cause_category(
    text: str, vocabulary: Vocabulary, *, exclude: set[str], whole: bool = False
) -> str:
    """Category of the cause a sentence names: concepts after the cue phrase ("caused by X")
    count, the condition being explained (``exclude``, e.g. the focus) does not."""
    match = None if whole else _CAUSE_TAIL_RE.search(text)
    tail = text[match.end() :] if match else text
    for _, entry in vocabulary.mentions(tail, mesh_only=True):
        if entry.name.lower() in exclude:
            continue
        category = category_of_tree_numbers(entry.tree_numbers)
        if category:
            return category
    return OTHER_CAUSES
