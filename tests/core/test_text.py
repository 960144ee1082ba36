"""Reading words out of what people type: the same words whatever they paste."""

from __future__ import annotations

import resource
import subprocess
import sys

from core.text import raw_words


def test_repeated_words_written_with_a_2_are_read_once() -> None:
    assert raw_words("apa2 saja syaratnya, masuk2 ke menu") == [
        "apa", "saja", "syaratnya", "masuk", "ke", "menu",
    ]  # fmt: skip


def test_numbers_ending_in_2_stay_numbers() -> None:
    # Read as "12" -> "1" they turned "dalam 12 hari" into one day and "tahun 2032" into 203.
    assert raw_words("2 tahun, 12 bulan, 2032, 22 days") == [
        "2", "tahun", "12", "bulan", "2032", "22", "days",
    ]  # fmt: skip


def _limited() -> None:
    # CPU seconds, not wall-clock: the machine's load does not count, only this work does.
    resource.setrlimit(resource.RLIMIT_CPU, (20, 20))


def test_a_pasted_run_without_spaces_is_read_in_one_pass() -> None:
    # A million digits (or letters) in one "word": tried from each of its characters, the
    # rule took hours; anchored, well under a second. The limit is 20 CPU seconds.
    script = (
        "from core.text import raw_words\n"
        "assert raw_words('9' * 1_000_000) == ['9' * 1_000_000]\n"
        "assert raw_words('a' * 1_000_000 + '2') == ['a' * 1_000_000]\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], preexec_fn=_limited, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]
