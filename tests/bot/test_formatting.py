from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.formatting import (
    MAX_MESSAGE,
    escape,
    fit_plain,
    render_answer,
    render_citation,
    split_message,
    to_plain,
    utf16_len,
)
from bot.i18n import t


def _balanced(html: str) -> bool:
    stack: list[str] = []
    for closing, name in re.findall(r"<(/?)([a-z-]+)[^>]*>", html):
        if closing:
            if not stack or stack.pop() != name:
                return False
        else:
            stack.append(name)
    return not stack


def _no_broken_entity(html: str) -> bool:
    # Every '&' starts a complete entity; no '<' outside a tag.
    if re.search(r"&(?!(?:lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);)", html):
        return False
    return all(part.startswith("<") or "<" not in part for part in re.split(r"(<[^<>]+>)", html))


def test_escape() -> None:
    assert escape('a <b> & "c"') == 'a &lt;b&gt; &amp; "c"'
    assert to_plain(escape("<x> & y")) == "<x> & y"


def test_short_text_is_one_part() -> None:
    assert split_message("halo") == ["halo"]
    assert split_message("") == []


def test_splits_at_paragraph_boundaries() -> None:
    paragraphs = [f"Paragraf {i}. " + "kata " * 150 for i in range(12)]
    text = "\n\n".join(p.strip() for p in paragraphs)
    parts = split_message(text)
    assert len(parts) > 1
    assert all(utf16_len(p) <= MAX_MESSAGE for p in parts)
    # No paragraph is cut: each part is a run of whole paragraphs.
    assert all(p.startswith("Paragraf ") for p in parts)
    assert "\n\n".join(parts) == text


def test_long_paragraph_inside_a_tag_is_closed_and_reopened() -> None:
    text = "<b>" + "tebal " * 1500 + "</b>"
    parts = split_message(text)
    assert len(parts) >= 3
    for part in parts:
        assert utf16_len(part) <= MAX_MESSAGE
        assert part.startswith("<b>") and part.endswith("</b>")
        assert _balanced(part)
    assert " ".join(to_plain(p) for p in parts).split() == to_plain(text).split()


def test_never_splits_inside_an_entity() -> None:
    text = escape("<&>" * 3000)
    parts = split_message(text)
    assert all(_no_broken_entity(p) for p in parts)
    assert "".join(to_plain(p) for p in parts) == "<&>" * 3000


def test_counts_utf16_units() -> None:
    text = "😀" * 3000  # two UTF-16 units each
    parts = split_message(text)
    assert all(utf16_len(p) <= MAX_MESSAGE for p in parts)
    assert "".join(parts) == text


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["", "b", "i", "code"]),
            st.text(alphabet=st.characters(codec="utf-8"), min_size=0, max_size=900),
        ),
        min_size=1,
        max_size=20,
    ),
    st.integers(min_value=200, max_value=4096),
)
def test_split_properties(pieces: list[tuple[str, str]], limit: int) -> None:
    html = "\n\n".join(f"<{tag}>{escape(s)}</{tag}>" if tag else escape(s) for tag, s in pieces)
    parts = split_message(html, limit)
    for part in parts:
        assert utf16_len(part) <= limit
        assert _balanced(part)
        assert _no_broken_entity(part)
    squash = re.compile(r"\s+")
    joined = squash.sub("", "".join(to_plain(p) for p in parts))
    assert joined == squash.sub("", to_plain(html))


@dataclass(frozen=True)
class _Citation:
    number: int
    title: str
    section: str | None
    page: int | None


@dataclass(frozen=True)
class _Answer:
    answer: str
    found: bool
    citations: tuple[_Citation, ...]


@pytest.mark.parametrize(("lang", "page"), [("id", "hlm. 4"), ("en", "p. 4")])
def test_citations_are_numbered_and_escaped(lang: str, page: str) -> None:
    answer = _Answer(
        "Gunakan menu <Registrasi> & isi NIK.",
        True,
        (
            _Citation(1, "Panduan <Hayu>", "Registrasi > Akun", 4),
            _Citation(2, "SOP e-RK", None, None),
        ),
    )
    html = render_answer(answer, lambda key, **kw: t(key, lang, **kw))
    assert html.startswith("Gunakan menu &lt;Registrasi&gt; &amp; isi NIK.")
    assert f"[1] <b>Panduan &lt;Hayu&gt;</b> — Registrasi &gt; Akun, {page}" in html
    assert html.endswith("[2] <b>SOP e-RK</b>")
    assert _balanced(html)


def test_citation_without_details() -> None:
    assert render_citation(_Citation(3, "A", None, None), lambda k, **kw: k) == "[3] <b>A</b>"


def test_answer_without_citations_has_no_sources_header() -> None:
    html = render_answer(_Answer("Belum ada.", False, ()), lambda key, **kw: t(key, "id", **kw))
    assert html == "Belum ada."


def test_a_long_tail_after_the_last_line_break_still_fits() -> None:
    text = "<i>" + "a" * 3000 + "\n" + "b " * 2000 + "</i>"
    parts = split_message(text)
    assert all(utf16_len(p) <= MAX_MESSAGE and _balanced(p) for p in parts)


def test_splitting_is_fast_enough_for_huge_answers() -> None:
    # 1 MB in one paragraph: linear work, so this is quick (no wall-clock assertion needed:
    # a quadratic splitter would take minutes here).
    parts = split_message("<b>" + "kata " * 200_000 + "</b>")
    assert len(parts) > 200 and all(utf16_len(p) <= MAX_MESSAGE for p in parts)


def test_a_quote_over_two_pages_is_cited_with_the_range() -> None:
    from bot.formatting import render_citation

    class Cited:
        number, title, section, page, page_end = 1, "Panduan", "Izin", 2, 3

    text = render_citation(Cited(), lambda key, **kw: f"hlm. {kw['page']}")
    assert text.endswith("Izin, hlm. 2–3")


def test_the_quoted_sentences_are_underlined_in_the_source() -> None:
    from bot.formatting import render_passage

    passage = "Satu <dua>. Tiga & empat. Lima."
    start = passage.index("Tiga")
    html = render_passage(passage, [(start, start + len("Tiga & empat."))])
    assert html == "Satu &lt;dua&gt;. <u>Tiga &amp; empat.</u> Lima."
    assert render_passage(passage, [(50, 60)]) == "Satu &lt;dua&gt;. Tiga &amp; empat. Lima."


def test_fit_plain_counts_as_telegram_does() -> None:
    assert fit_plain("pendek", 200) == "pendek"
    astral = "😀" * 150  # 300 UTF-16 units
    cut = fit_plain(astral, 200)
    assert utf16_len(cut) <= 200 and cut.endswith("…") and cut.startswith("😀" * 99)
    assert fit_plain("a" * 300, 200) == "a" * 199 + "…"
