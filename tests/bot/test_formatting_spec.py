"""The bot's HTML formatting, checked by the Bot API validator of the local server.

Whatever the text (any characters, markup around parts of it, any length), every message the
bot would send is HTML that Telegram accepts, within 4096 characters, and nothing is lost.
"""

from __future__ import annotations

from hypothesis import event, given, settings, target
from hypothesis import strategies as st

from bot.formatting import escape, split_message
from tests.fakes.botapi import parse_html

_WRAPPERS = (
    ("<b>", "</b>"),
    ("<i>", "</i>"),
    ('<a href="https://bandung.go.id/?a=1&amp;b=2">', "</a>"),
    ("<code>", "</code>"),
    ("<blockquote>", "</blockquote>"),
    ("<b><i>", "</i></b>"),
    ("", ""),
)

words = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from("<>&\"' "),
    min_size=1,
    max_size=20,
)
# Paragraphs are repeated up to 60 times so that long answers (and single paragraphs longer
# than a message, split inside their markup) come up often.
paragraph = st.tuples(
    st.sampled_from(_WRAPPERS),
    st.lists(words, min_size=1, max_size=12),
    st.integers(min_value=1, max_value=60),
).map(lambda t: t[0][0] + escape(" ".join(t[1] * t[2])) + t[0][1])
document = st.lists(paragraph, min_size=1, max_size=6).map("\n\n".join)


def _squash(text: str) -> str:
    return "".join(text.split())


@settings(max_examples=40, deadline=None)
@given(document)
def test_every_part_is_valid_telegram_html_and_nothing_is_lost(html_text: str) -> None:
    original = parse_html(html_text)
    assert original.ok, original.problems  # the generator itself makes valid HTML
    parts = split_message(html_text)
    target(float(len(parts)))  # steer towards documents that need splitting
    event(f"{min(len(parts), 3)}+ parts" if len(parts) >= 3 else f"{len(parts)} part(s)")
    assert parts or not original.plain.strip()
    plain_parts = []
    for part in parts:
        parsed = parse_html(part)
        assert parsed.ok, (parsed.problems, part[:200])
        assert len(parsed.plain) <= 4096
        assert parsed.plain.strip(), "an empty message"
        plain_parts.append(parsed.plain)
    assert _squash("".join(plain_parts)) == _squash(original.plain)


@given(st.text(max_size=300))
def test_escaped_text_is_accepted_and_shown_as_typed(text: str) -> None:
    parsed = parse_html(escape(text))
    assert parsed.ok
    assert parsed.plain == text
