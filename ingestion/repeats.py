"""Text a document repeats word for word, run after run, is indexed once.

A scan fed through the feeder twice, a page exported twice, or an OCR dump whose pages were
glued more than once repeats whole stretches of a document. Indexed as they stand, the copies
crowd every ranking (PP 59/2019 as published in the evaluation set holds its Pasal 1 thirteen
times: twelve of a question's candidate passages were the same definitions), and the copies
after the first lose their place in the regulation's structure ("Pasal 1" read again inside
BAB I is no new article), so an answer quoting one cited "BAB I" instead of "Pasal 1".

Only *runs* are dropped: consecutive blocks that each repeat an earlier block, at least two of
them of :data:`MIN_BLOCK_CHARS` or more and :data:`MIN_RUN_CHARS` in all. A single paragraph
that recurs ("Cukup jelas.", a page header, a note a manual repeats under two procedures) is
what the author wrote in each place and stays, and so does a run right under a heading of its
own: a manual's "Instalasi di iOS" may repeat the Android steps word for word, and a question
about iOS must find them there.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ingestion.schemas import Block

MIN_BLOCK_CHARS = 40
MIN_RUN_CHARS = 300

_SPACE = re.compile(r"\s+")


def _key(text: str) -> str:
    return _SPACE.sub(" ", text).strip().casefold()


def drop_repeated_runs(blocks: Sequence[Block]) -> list[Block]:
    """``blocks`` without the runs that repeat earlier text (see the module's rule)."""
    seen: set[str] = set()
    repeated: list[bool] = []
    for block in blocks:
        key = _key(block.text)
        repeated.append(bool(key) and key in seen)
        seen.add(key)
    kept: list[Block] = []
    i = 0
    while i < len(blocks):
        if not repeated[i]:
            kept.append(blocks[i])
            i += 1
            continue
        end = i
        while end < len(blocks) and repeated[end]:
            end += 1
        run = blocks[i:end]
        lengths = [len(_key(block.text)) for block in run]
        substantial = sum(1 for length in lengths if length >= MIN_BLOCK_CHARS)
        titled = i > 0 and blocks[i - 1].kind == "heading"
        if substantial < 2 or sum(lengths) < MIN_RUN_CHARS or titled:
            kept.extend(run)
        i = end
    return kept
