from __future__ import annotations

from medcite.ingest.text import blocks_to_text, fix_text, html_to_text, spaced_text_to_blocks


def test_html_lists_paragraphs_and_entities() -> None:
    markup = (
        '<div class="content_para"><p>Intro (<strong>A</strong>) &amp; more.</p>\r\n'
        "<ul><li><strong>Conclusion</strong>. Synthetic data. </li>\r\n<li>Second item</li></ul>"
        "<script>var x = 'never shown';</script><p>After the list.</p></div>"
    )
    assert html_to_text(markup) == (
        "Intro (A) & more.\n- Conclusion. Synthetic data.\n- Second item\n\nAfter the list."
    )


def test_plain_text_passes_through() -> None:
    assert html_to_text("Synthetic   plain\ntext") == "Synthetic plain\ntext"


def test_mojibake_is_repaired() -> None:
    assert fix_text("Clearinghouse\u00e2\u0084\u00a2 (NGC)") == "Clearinghouse™ (NGC)"
    assert fix_text("keep\x00 this\x07") == "keep this"


def test_spaced_lists_recovered_from_flattened_answers() -> None:
    text = (
        "Widgets wobble.     Other synthetic causes are       - Placeholder text    "
        "- Imaginary sheep       Afterwards it stops. A - B stays inline."
    )
    assert blocks_to_text(spaced_text_to_blocks(text)) == (
        "Widgets wobble.\n\nOther synthetic causes are\n- Placeholder text\n- Imaginary sheep"
        "\n\nAfterwards it stops. A - B stays inline."
    )


def test_wide_gap_before_lowercase_is_not_a_break() -> None:
    blocks = spaced_text_to_blocks("a condition called   deep widget wobble")
    assert [b.text for b in blocks] == ["a condition called deep widget wobble"]


def test_broken_markup_is_a_malformed_input() -> None:
    import pytest

    from medcite.errors import MalformedInputError

    with pytest.raises(MalformedInputError, match="unparseable HTML"):
        html_to_text("<p>Synthetic <![x](y) text.</p>")


def test_bullet_only_items_are_dropped() -> None:
    assert html_to_text("<ul><li>-</li><li>real item</li></ul>") == "- real item"
