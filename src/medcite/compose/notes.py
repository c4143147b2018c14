"""Evidence notes: where a stronger source (guideline, review, trial) qualifies a claim that a
weaker source (a consumer page) states plainly, show both, labelled with their evidence types.

Detection is by wording: the stronger sentence carries a qualifier ("insufficient evidence",
"probably not effective", "not recommended") and shares a distinctive content word with the
weaker one. Both sides are quotations.
"""

from __future__ import annotations

import re

from medcite.compose.candidates import Candidate, content_stems

QUALIFIER_RE = re.compile(
    r"\b(insufficient|inadequate|no (good |strong |clear |convincing )?evidence|"
    r"not (been )?(shown|proven|proved|effective|recommended|supported)|probably (not|in)effective|"
    r"ineffective|unproven|conflicting|unclear whether|should be avoided|not routinely|"
    r"do(es)? not (support|recommend)|lack of evidence|limited evidence|little evidence|"
    r"no (significant )?(benefit|difference)|is not (a|the) (main|major|common) cause)\b",
    re.I,
)
STRONG_LEVELS = (1, 2)
WEAK_LEVELS = (4, 5)


def find_notes(
    candidates: list[Candidate], focus_stems: frozenset[str], *, limit: int = 2
) -> list[tuple[Candidate, Candidate | None]]:
    """(stronger, weaker-or-None) pairs; a stronger qualifier with no weaker claim stands alone."""
    strong = [
        c
        for c in candidates
        if c.evidence.document.evidence_level in STRONG_LEVELS
        and c.topical > 0
        and QUALIFIER_RE.search(c.text)
    ]
    weak = [c for c in candidates if c.evidence.document.evidence_level in WEAK_LEVELS]
    notes: list[tuple[Candidate, Candidate | None]] = []
    used: set[tuple[int, int]] = set()
    for s in sorted(strong, key=lambda c: -c.score):
        distinctive = content_stems(s.text) - focus_stems
        best: Candidate | None = None
        best_overlap = 0
        for w in weak:
            if (w.passage_id, w.start) in used or w.topical == 0:
                continue
            overlap = len(distinctive & (content_stems(w.text) - focus_stems))
            if overlap > best_overlap and not QUALIFIER_RE.search(w.text):
                best, best_overlap = w, overlap
        if best is not None:
            used.add((best.passage_id, best.start))
        notes.append((s, best))
        if len(notes) >= limit:
            break
    return notes
