"""Hostile input for the fuzz tests: text, numbers, dates, paths, shared by the CLI and the bot.

``FUZZ_EXAMPLES`` (environment variable ``SINERGI_FUZZ_EXAMPLES``, default 3) is the number of
examples per command; ``SINERGI_FUZZ_RANDOM=1`` draws new examples each run instead of the fixed,
derandomized ones ``make test`` uses (see tests/reliability/README.md).
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st

FUZZ_EXAMPLES = int(os.environ.get("SINERGI_FUZZ_EXAMPLES", "3"))
FUZZ_RANDOM = os.environ.get("SINERGI_FUZZ_RANDOM", "") == "1"

FUZZ_SETTINGS = settings(
    max_examples=FUZZ_EXAMPLES,
    # Shrinking a failure costs minutes per command; the failing example is printed as found.
    phases=[Phase.explicit, Phase.reuse, Phase.generate]
    + ([Phase.shrink] if os.environ.get("SINERGI_FUZZ_SHRINK") == "1" else []),
    derandomize=not FUZZ_RANDOM,
    database=None,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ],
    print_blob=True,
)

#: Text people (and attackers) type: markup of every kind we render, control characters,
#: bidi overrides, full-width and combining characters, numbers beyond every integer type,
#: formulas, format strings, SQL, shell and path tricks.
HOSTILE = [
    "",
    " ",
    "<b>tebal</b>",
    "<a href='javascript:alert(1)'>x</a>",
    "<script>alert(1)</script>",
    "</code></pre>",
    "&amp;&lt;&#0;",
    "[bold red]merah[/]",
    "[/]",
    "[link=https://contoh.id]x[/link]",
    ":warning: :smile:",
    "*tebal* _miring_ `kode` [tautan](http://x) ~~coret~~ ||spoiler||",
    "\\*\\_\\`",
    "\x1b[31mmerah\x1b[0m",
    "\x07\x08\x0b\x0c\x7f\x85\x9b",
    "\u202eterbalik\u202c",
    "\u200b\u200d\ufeff",
    "Ｋａｂｕｐａｔｅｎ　Ｋｅｒｉｎｃｉ",
    "e\u0301\u0301\u0301\u0301",
    "🇮🇩👩‍👩‍👧‍👦" * 20,
    "99999999999999999999",
    str(2**63),
    str(-(2**63) - 1),
    "-1",
    "0",
    "1e308",
    "nan",
    "inf",
    "0x10",
    "١٢٣",
    "=1+1",
    "+SUM(A1)",
    "@cmd",
    "{kind} {0} %s %n %(x)s",
    "' OR 1=1 --",
    "; rm -rf / #",
    "$(id)",
    "../../../../etc/passwd",
    "~/.ssh/id_rsa",
    "x" * 5000,
    "kata " * 2000,
    "\n\n\n",
    "\t",
    "2026-02-30",
    "31/12/99",
    "9999-12-31",
    "0001-01-01",
    "admin",
    "official",
    "coordinator",
    "trainer",
    "active",
    "done",
    "blocked",
    "in_progress",
    "red",
    "KB",
    "PKS",
    "en",
    "id",
]

#: What a keyboard or a Telegram client can send (any character but NUL and lone surrogates).
TYPED_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    max_size=80,
)
#: Characters a shell can hand a program (no NUL: argv strings end at one). Bytes that are not
#: UTF-8 (a Latin-1 terminal, a typo) reach Python as lone surrogates U+DC80..U+DCFF.
ARGV_TEXT = st.text(
    alphabet=st.one_of(
        st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
        st.characters(min_codepoint=0xDC80, max_codepoint=0xDCFF),
    ),
    max_size=80,
)

NUMBERS = st.one_of(
    st.integers(min_value=-3, max_value=12),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([2**31, 2**53 + 1, 2**63 - 1, 2**63, 2**64, 10**30]),
).map(str)

#: One argument or option value: hostile text, an id-like number, or random text.
VALUE = st.one_of(st.sampled_from(HOSTILE), NUMBERS, TYPED_TEXT)
#: The same on a command line, where bytes that are not UTF-8 arrive as lone surrogates.
ARGV_VALUE = st.one_of(
    st.sampled_from([*HOSTILE, "caf\udce9 \udcff"]),  # "café" typed in Latin-1
    NUMBERS,
    ARGV_TEXT,
)
