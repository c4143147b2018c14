"""Candidate statements: the sentences of retrieved passages, with what the composer needs to
choose among them (topicality, section cues, length, reading grade).

Everything here quotes: a candidate is a span ``passage.text[start:end]``; no text is altered.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from medcite.index.analysis import analyze
from medcite.ingest.chunking import split_sentences
from medcite.retrieve.vocabulary import FILLER_STEMS
from medcite.types import Evidence

# Passage kinds whose sentences are study mechanics, grading schemes or boilerplate.
SKIPPED_KINDS = frozenset(
    {
        "Rating Scheme for the Strength of the Evidence",
        "Rating Scheme for the Strength of the Recommendations",
        "Interventions and Practices Considered",
        "Major Outcomes Considered",
        "Type of Evidence Supporting the Recommendations",
        "Guideline Objective(s)",
        "Target Population",
        "Disease/Condition(s)",
        "Clinical Algorithm(s)",
        "METHODS",
        "SETTING",
        "DESIGN",
        "PATIENTS",
        "PARTICIPANTS",
        "OBJECTIVE",
        "Objective",
        "OBJECTIVES",
        "Objectives",
        "AIMS",
        "Aims",
        "PURPOSE",
        "Purpose",
        "MATERIALS AND METHODS",
        "research",
        "support groups",
    }
)
# Phrases (regular expressions, matched from a word boundary) of sentences that grade
# evidence, describe the source itself or point elsewhere rather than state something.
_BOILERPLATE_PHRASES = (
    r"class (i|ii|iii|iv)\b|level [a-u]\b|see the\b|field\b|these resources\b|click\b|website\b|"
    r"this (guideline|review|study|article|report|summary)\b|"
    r"we (conducted|performed|searched|reviewed|aimed|studied|examined|investigated)\b|"
    r"https?://|www\.|contact (us|the)\b|listed below\b|following\b:?$|"
    r"original guideline document\b|full version of the guideline\b|"
    r"definitions? (for|of) the\b|genetic testing registry\b|the GTR\b|"
    # The note that opens GARD's symptom tables on ~2,200 pages: how to read the table.
    r"the following list\b|table below\b|medical dictionary\b|comes from orphanet\b|"
    r"frequency of a sign or symptom\b|frequency may also be listed\b|of the fraction\b|"
    r"a frequency of \d+/\d+|these frequencies\b|no information on frequency\b|"
    r"the sign or symptom may be\b|approximate number of patients\b|"
    r"check the list of\b|refine the search\b|"
    # What guideline summaries repeat about themselves on 100-170 pages each: NICE's notes on
    # using its guidance, the ACR Appropriateness Criteria's scope and radiation-level notes,
    # the rating schemes' wording of certainty and strength.
    r"(this|the) guidance\b|healthcare professionals are expected\b|commissioners\b|"
    r"the prescriber should follow\b|appropriateness criteria\b|these criteria\b|"
    r"appropriate imaging\b|radiation levels?\b|RRLs?\b|mSv\b|dose estimate\b|"
    r"inherently higher risk from exposure\b|classified as investigational\b|"
    r"ultimate decision regarding\b|only those examinations\b|equipment or personnel\b|"
    r"net benefit is\b|made with more certainty\b|whether or not to have the intervention\b|"
    r"differences of opinion\b|grade of recommendation\b|level of evidence\b|"
    r"rating scale\b|not considered in (this|these)\b"
)
# Openings of the same kind.
_BOILERPLATE_OPENINGS = (
    r"variant \d+\b|(please )?(see|refer)\b|summary of literature review\b|get more details\b|learn more\b|"
    r"for more information\b|you can (read|learn|find out) (more )?about\b|read more about\b|"
    r"to (determine|assess|evaluate|investigate|examine|compare|explore|describe|identify|"
    r"analy[sz]e|test|study|review)\b"
)
# One word boundary before all phrases, not one per phrase: Python's regex engine tries every
# alternative at every position, and this form is ~4x faster (it runs on every retrieved
# sentence of every answer).
_BOILERPLATE_RE = re.compile(
    rf"=|^(?:{_BOILERPLATE_OPENINGS})|\b(?:{_BOILERPLATE_PHRASES})", re.IGNORECASE
)


# Bounded, so a long-running server's memory levels off (about 12 MiB when full); sized to
# cover the repeated lookups within one answer and the common sentences across answers.
@lru_cache(maxsize=16384)
def content_stems(text: str) -> frozenset[str]:
    """Stemmed content words, by the keyword index's analyzer (so "spasms"/"spasm" and the two
    halves of "Beckwith-Wiedemann" meet as they do in search), question filler removed."""
    return frozenset(analyze(text)) - FILLER_STEMS


@dataclass(slots=True)
class Candidate:
    """One quotable sentence of a retrieved passage."""

    evidence: Evidence
    rank: int  # of its passage among the retrieved
    start: int
    end: int
    text: str
    kind: str | None  # MedQuAD qtype, NGC field or abstract label of its passage
    list_item: bool
    lead_in: str | None  # the sentence introducing the list this item belongs to
    topical: float = 0.0  # share of the question's focus stems the sentence (or its doc) carries
    cues: set[str] = field(default_factory=set)
    grade: float = 0.0
    # Patient mode: harder to read than a lay reader should meet in the main text (shown folded
    # under its section, never in the bottom line when an easier sentence answers).
    technical: bool = False
    score: float = 0.0
    narrower: bool = False  # about a narrower concept than the subject (hemifacial spasm)
    # From a page titled with more than the subject's name ("High Blood Pressure in Pregnancy").
    subtype_page: bool = False
    labelled: bool = False  # shown with its page's title: it speaks of that topic unnamed
    # Surely about the subject: its page is on the subject, or it says what the question asks.
    central: bool = False
    defines: bool = False  # says what the subject itself is ("X is a condition ...")
    # Names the subject, or its page's topic on a page about the subject ("Muscle cramps can be
    # caused by ..." for spasms): a sentence that can stand alone in the bottom line.
    names_subject: bool = False
    # Names the subject only as the cause of something else ("X is caused by spasms").
    consequence: bool = False
    parts: dict[str, float] = field(default_factory=dict)  # what its score is made of
    # What the learned subject model weighs (medcite.learn.subject.FEATURES), when scored.
    subject: dict[str, float] = field(default_factory=dict)
    dropped: str | None = None  # why the scorer left it out

    @property
    def passage_id(self) -> int:
        assert self.evidence.passage.id is not None
        return self.evidence.passage.id

    @property
    def shown(self) -> str:
        """What a reader sees of it: a list item after the sentence introducing its list."""
        return f"{self.lead_in} {self.text}" if self.list_item and self.lead_in else self.text

    @property
    def word_count(self) -> int:
        return len(self.text.split())

    @property
    def opens_page(self) -> bool:
        """The first sentence of a page's "What is X?" answer: where a page defines its topic."""
        return self.kind == "information" and self.evidence.passage.ord == 0 and self.start == 0


def passage_kind(evidence: Evidence) -> str | None:
    meta = evidence.passage.meta
    kind = meta.get("qtype") or meta.get("field") or meta.get("label")
    return str(kind) if kind else None


def _is_list_item(passage_text: str, start: int) -> bool:
    line_start = passage_text.rfind("\n", 0, start) + 1
    prefix = passage_text[line_start:start].strip()
    return prefix in ("-", "•", "*") or bool(re.fullmatch(r"\d{1,2}[.)]", prefix))


# A page heading glued to the sentence under it, which repeats its last word: "Stages of Gout
# Gout can progress through four stages." (MedQuAD answers keep headings inline, unpunctuated).
_GLUED_HEADING_RE = re.compile(
    r"^(?:[A-Z][\w'-]*|of|and|the|for|to|in|with|a|an|or|at|on|by|from)"
    r"(?: (?:[A-Z][\w'-]*|of|and|the|for|to|in|with|a|an|or|at|on|by|from)){0,7} "
    r"(?P<word>[A-Z][\w'-]*) (?=(?P=word) [a-z])"
)


# The same, when the sentence opens with the heading's first word ("Common Signs Common signs
# of ...", "Symptoms Symptoms of gum disease ...") or a word that starts sentences, not titles
# ("Tests for Diabetes The following tests ...", "Stop Smoking If you smoke, stop.").
_GLUED_HEADING_OPENER_RE = re.compile(
    r"^(?P<first>[A-Z][\w'-]*)"
    r"(?: (?:[A-Z][\w'-]*|of|and|the|for|to|in|with|a|an|or|at|on|by|from)){0,7} "
    r"(?=(?:(?P=first)|The|Some|Many|Most|If|When|You|Your|It|This|These|There) [a-z])"
)


# MedlinePlus topic answers open with a bare label (295 passages of the default corpus).
_LABEL_RE = re.compile(r"^Summary : (?=[A-Z])")


def heading_length(sentence: str) -> int:
    """Characters of a heading glued to the front of ``sentence`` (0 when there is none)."""
    match = (
        _LABEL_RE.match(sentence)
        or _GLUED_HEADING_RE.match(sentence)
        or _GLUED_HEADING_OPENER_RE.match(sentence)
    )
    return match.end() if match else 0


def extract(hits: list[Evidence]) -> list[Candidate]:
    """All quotable sentences of ``hits``, in retrieval order, with list items tied to their lead-in."""
    out: list[Candidate] = []
    for rank, hit in enumerate(hits):
        kind = passage_kind(hit)
        if kind in SKIPPED_KINDS:
            continue
        text = hit.passage.text
        lead_in: str | None = None
        first_item: str | None = None
        for start, end, is_item in _pieces(text):
            sentence = text[start:end]
            if not is_item and _continues_item(text, start):
                # "- Chronic Kidney Disease. This disease occurs when ...": the list goes on
                # under its lead-in, and "This disease" is the item, not the page's topic.
                if refers_to_page_topic(sentence):
                    continue
            elif not is_item:
                first_item = None
                lead_in = (
                    sentence
                    if sentence.rstrip().endswith(":")
                    or _LEAD_IN_RE.search(sentence)
                    or _opens_list(text, end)
                    else None
                )
            else:
                if first_item is None:
                    first_item = sentence
                else:
                    end = start + _item_length(sentence, first_item)
                    sentence = text[start:end]
                if lead_in is not None and _BOILERPLATE_RE.search(lead_in):
                    continue  # a list of links ("These resources address ..."), not statements
            if not _quotable(sentence, is_item):
                continue
            out.append(
                Candidate(
                    evidence=hit,
                    rank=rank,
                    start=start,
                    end=end,
                    text=sentence,
                    kind=kind,
                    list_item=is_item,
                    lead_in=lead_in if is_item else None,
                )
            )
    return out


def _pieces(text: str) -> list[tuple[int, int, bool]]:
    """(start, end, is list item) of each sentence of a passage, without a heading glued to its
    front; a sentence that runs into the first item of the list under it ("Common signs of
    osteoarthritis include - joint pain, ...", as MedQuAD pages have it) is two pieces."""
    pieces = []
    for span in split_sentences(text):
        # Quote the sentence without a heading glued to its front (still a contiguous span).
        start = span.start + heading_length(text[span.start : span.end])
        is_item = _is_list_item(text, span.start)
        dash = -1 if is_item or not _opens_list(text, span.end) else text.find(" - ", start)
        if 0 <= dash < span.end:
            pieces.append((start, dash, False))
            pieces.append((dash + 3, span.end, True))
        else:
            pieces.append((start, span.end, is_item))
    return pieces


def _continues_item(text: str, start: int) -> bool:
    """Whether the sentence at ``start`` follows a list item on the item's own line (also a
    first item glued to the line of its lead-in: "... their signs and symptoms. - Aneurysms.")."""
    line = text[text.rfind("\n", 0, start) + 1 : start]
    return line.lstrip().startswith(("- ", "• ")) or _GLUED_ITEM_RE.search(line) is not None


_GLUED_ITEM_RE = re.compile(r"[.:] [-•] ")

# Words that stand for the topic of the page (or list item) a sentence comes from: "As the
# condition progresses, ...", "It is inherited ...", "This disorder ...". Quoted from a page on
# another condition, such a sentence would read as being about the question's subject.
_PAGE_TOPIC_RE = re.compile(
    r"^(?:it|its|they|their|this|these)\b|\b(?:the|this|these) (?:conditions?|disorders?|"
    r"diseases?|syndromes?|illness(?:es)?)\b",
    re.IGNORECASE,
)


def refers_to_page_topic(text: str) -> bool:
    """Whether a sentence speaks of its page's topic without naming it ("The condition may be
    caused by ...", "It is inherited ...")."""
    return bool(_PAGE_TOPIC_RE.search(text.lstrip()))


def _opens_list(text: str, end: int) -> bool:
    """Whether the line after position ``end`` is a list item."""
    return text[end : end + 4].lstrip(" ").startswith(("\n- ", "\n• "))


def _item_length(item: str, first_item: str) -> int:
    """Length of a list item without the list flattened again after it ("having blurry
    eyesight. being very thirsty frequent urination ...", MedQuAD pages repeat their lists)."""
    at = item.find(". " + first_item)
    return at + 1 if at > 0 else len(item)


_LEAD_IN_RE = re.compile(r"(include|are|such as|following|:)\s*$", re.I)


# A guideline profile's field with no value ("Intentional vagueness: None", "Harms: None",
# "Brand name products: None available"): a label, not a statement about anything.
_EMPTY_FIELD_RE = re.compile(
    r"^[^:]{2,60}:\s*(none( available| stated)?|not (applicable|stated)|n/?a|unknown)\.?$", re.I
)


def _quotable(sentence: str, is_item: bool) -> bool:
    if _EMPTY_FIELD_RE.match(sentence.strip()):
        return False
    n = len(sentence.split())
    if is_item:
        if n < 1 or n > 45:
            return False
    elif n < 5 or n > 55:
        return False
    if sentence.endswith("?") or sentence.endswith(":"):
        return False
    if not is_item and not sentence[0].isupper() and not sentence[0].isdigit():
        return False
    if not is_item and sentence[-1] not in ".!)\"'”":
        return False
    return not _BOILERPLATE_RE.search(sentence)
