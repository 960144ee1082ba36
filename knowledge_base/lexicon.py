"""Words as officials type them: informal spellings, domain synonyms and abbreviations.

Two sources, both data, not code:

* **IndoCollex** (``data/colloquial-id/``, MIT, Wibowo et al. 2021): 2,622 informal -> formal
  spellings from Indonesian social media ("brp" -> "berapa", "udah" -> "sudah", "dgn" ->
  "dengan"). Questions are normalised with it before searching; documents are formal.
* **Synonym groups** (``data/synonyms.txt`` shipped, plus ``synonyms.txt`` in the data folder
  that trainers extend without a release, re-read when it changes): "TPP | tambahan
  penghasilan pegawai | tunjangan kinerja". A question naming one expression also finds
  passages that use another.

English questions are also searched as their words' Indonesian translations, from FreeDict's
English-Indonesian dictionary read where Debian installs it (:mod:`knowledge_base.translation`).
"""

from __future__ import annotations

import csv
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from knowledge_base.translation import NO_DICTIONARY, EnglishDictionary, load_english_dictionary

_DATA = "data"
SYNONYMS_HEADER = (
    "# Synonyms added by trainers: one group per line, expressions separated by '|'.\n"
    "# Example: TPP | tambahan penghasilan pegawai | tunjangan kinerja\n"
)


def _read_text(folder: str, name: str) -> str:
    return resources.files("knowledge_base").joinpath(folder, name).read_text(encoding="utf-8")


def load_informal() -> dict[str, str]:
    """IndoCollex's informal -> formal map (lower case, single informal words only).

    The dictionary first; then the single-word pairs of its annotated transformations
    (``transformations.csv``: "kalo" -> "kalau", "bts" -> "batas") the dictionary lacks, their
    chains followed ("klo" -> "kalo" -> "kalau"). Reversed words (slang, "rev") are left out.
    """
    folder = f"{_DATA}/colloquial-id"
    text = _read_text(folder, "informal-formal-dictionary.tsv")
    out: dict[str, str] = {}
    for row in csv.reader(text.splitlines()[1:], delimiter="\t"):
        if len(row) < 2:
            continue
        informal, formal = row[0].strip().lower(), row[1].strip().lower()
        # Only words: entries such as "10km" -> "10 kilometer" are not how questions differ.
        if informal.isalpha() and formal and informal != formal:
            out[informal] = formal
    pairs: dict[str, str] = {}
    for row in csv.reader(_read_text(folder, "transformations.csv").splitlines()[1:]):
        if len(row) < 4 or row[3].strip() == "rev":
            continue
        informal, formal = row[1].strip().lower(), row[2].strip().lower()
        if informal.isalpha() and formal and informal != formal and informal not in out:
            pairs.setdefault(informal, formal)
    for informal, formal in pairs.items():
        seen = {informal}
        while formal in pairs and formal not in seen and " " not in formal:
            seen.add(formal)
            formal = pairs[formal]
        formal = out.get(formal, formal)
        if formal != informal:
            out[informal] = formal
    return out


def parse_synonyms(text: str) -> list[tuple[str, ...]]:
    """Groups from the synonyms format (``#`` comments, ``|`` between expressions)."""
    groups: list[tuple[str, ...]] = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        group = tuple(dict.fromkeys(e.strip() for e in line.split("|") if e.strip()))
        if len(group) >= 2:
            groups.append(group)
    return groups


@dataclass(frozen=True)
class Lexicon:
    """The informal map, the synonym groups and the English dictionary in force."""

    informal: dict[str, str]
    synonyms: tuple[tuple[str, ...], ...]
    english: EnglishDictionary = NO_DICTIONARY

    @classmethod
    def empty(cls) -> Lexicon:
        return cls({}, ())


class LexiconSource:
    """The bundled lexicon plus the trainers' synonyms file, re-read when the file changes."""

    def __init__(
        self,
        user_file: Path | None = None,
        *,
        informal: bool = True,
        english: Path | EnglishDictionary | None = None,
    ) -> None:
        """Args:
        english: FreeDict's English-Indonesian dictionary (its path without ``.index``, or
            one already read); ``None``: English words are not translated.
        """
        self.user_file = user_file
        self._informal = load_informal() if informal else {}
        self._bundled = tuple(parse_synonyms(_read_text(_DATA, "synonyms.txt")))
        self._english = (
            english if isinstance(english, EnglishDictionary) else load_english_dictionary(english)
        )
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._current = Lexicon(self._informal, self._bundled, self._english)

    def _file_stamp(self) -> tuple[int, int] | None:
        if self.user_file is None:
            return None
        try:
            stat = self.user_file.stat()
        except OSError:
            return None
        return stat.st_mtime_ns, stat.st_size

    def current(self) -> Lexicon:
        """The lexicon now (cheap: one ``stat`` of the trainers' file)."""
        stamp = self._file_stamp()
        if stamp == self._stamp:
            return self._current
        with self._lock:
            groups: Sequence[tuple[str, ...]] = ()
            if stamp is not None and self.user_file is not None:
                try:
                    groups = parse_synonyms(self.user_file.read_text(encoding="utf-8"))
                except (OSError, UnicodeDecodeError):
                    groups = ()
            self._current = Lexicon(self._informal, self._bundled + tuple(groups), self._english)
            self._stamp = stamp
        return self._current

    def user_groups(self) -> list[tuple[str, ...]]:
        """The groups trainers added (the data folder's file)."""
        if self.user_file is None or not self.user_file.is_file():
            return []
        return parse_synonyms(self.user_file.read_text(encoding="utf-8"))

    @property
    def english(self) -> EnglishDictionary:
        """The English-Indonesian dictionary in force (empty when not installed)."""
        return self._english

    def bundled_groups(self) -> list[tuple[str, ...]]:
        return list(self._bundled)

    def add_group(self, expressions: Iterable[str]) -> tuple[str, ...]:
        """Append a group to the trainers' file (created if missing); returns the group."""
        if self.user_file is None:
            raise ValueError("no synonyms file configured")
        group = tuple(dict.fromkeys(" ".join(e.split()) for e in expressions if e.strip()))
        if len(group) < 2 or any("|" in e or "#" in e or "\n" in e for e in group):
            raise ValueError("a group needs two or more expressions without | or #")
        self.user_file.parent.mkdir(parents=True, exist_ok=True)
        exists = self.user_file.is_file()
        with self.user_file.open("a", encoding="utf-8") as handle:
            if not exists:
                handle.write(SYNONYMS_HEADER)
            handle.write(" | ".join(group) + "\n")
        return group
