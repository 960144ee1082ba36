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
import logging
import os
import stat
import threading
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path

from core.errors import AppError, storage_error
from core.files import write_atomically
from core.locks import file_lock
from core.text import clean_line
from knowledge_base.errors import (
    InvalidSynonyms,
    SynonymGroupNotFound,
    SynonymGroupsAmbiguous,
    SynonymGroupShipped,
)
from knowledge_base.question import without_invisible
from knowledge_base.translation import NO_DICTIONARY, EnglishDictionary, load_english_dictionary

log = logging.getLogger(__name__)

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


#: The longest expression and the largest group a trainer may add; a longer one in a file
#: written by hand is left out when it is read (a 2 MB "expression" is no synonym).
MAX_EXPRESSION_CHARS = 120
MAX_GROUP_EXPRESSIONS = 20
MAX_SYNONYMS_BYTES = 4 * 2**20
"""The largest trainers' file read (a thousand groups of twenty long expressions are 2.4 MB):
a larger one is no list of synonyms, and every change would read it whole."""
_HYPHENS = str.maketrans("", "", "-\u2010\u2011\u2012\u2013\u2014\u00ad")


def synonym_key(expression: str) -> str:
    """The one rule for "the same expression" in the synonym groups: case, spacing and hyphens
    do not count ("e-RK" = "eRK" = "ERK", "Surat  Izin" = "surat izin"); a space does
    ("kerja sama" and "kerjasama" are the two spellings one group joins)."""
    return " ".join(expression.casefold().translate(_HYPHENS).split())


_DASHES = str.maketrans({"\u2010": "-", "\u2011": "-"})
"""The Unicode hyphen and non-breaking hyphen, which the index does not read as "-" ("e\u2011RK"
would be searched as "rk" alone)."""


def _clean_expression(raw: str) -> str:
    """An expression as a question would hold it: invisible characters pasted with it (a soft
    hyphen, zero-width joiners, direction marks) out, Unicode hyphens as "-", one space."""
    return clean_line(without_invisible(raw).translate(_DASHES))


def _keys(group: Iterable[str]) -> set[str]:
    """The expressions of ``group`` by :func:`synonym_key`."""
    return {synonym_key(e) for e in group}


def _names_something(key: str) -> bool:
    """An expression needs a letter or a digit: "<b>" or "--" names nothing."""
    return any(ch.isalnum() for ch in key)


def _parse_line(line: str) -> tuple[str, ...] | None:
    """The group on one line of the synonyms format, or None (a comment, a blank line, fewer
    than two usable expressions)."""
    line = line.split("#", 1)[0].strip()
    if not line:
        return None
    cleaned = (_clean_expression(part) for part in line.split("|"))
    group = tuple(
        dict.fromkeys(e for e in cleaned if _names_something(e) and len(e) <= MAX_EXPRESSION_CHARS)
    )[:MAX_GROUP_EXPRESSIONS]
    return group if len(group) >= 2 else None


def parse_synonyms(text: str) -> list[tuple[str, ...]]:
    """Groups from the synonyms format (``#`` comments, ``|`` between expressions). Spellings
    that :func:`synonym_key` holds the same stay apart inside a group ("e-RK | eRK": the index
    reads them as different words)."""
    return [group for line in text.splitlines() if (group := _parse_line(line)) is not None]


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
        # A path is read again when its file changes (cached per file version, one stat per
        # question), so a dictionary installed while the bot runs is used as /status says.
        self._english_path = None if isinstance(english, EnglishDictionary) else english
        self._english = (
            english if isinstance(english, EnglishDictionary) else load_english_dictionary(english)
        )
        self._lock = threading.Lock()
        self._stamp: tuple[int, int, int] | None = None
        self._current = Lexicon(self._informal, self._bundled, self._english)

    def _file_stamp(self) -> tuple[int, int, int] | None:
        if self.user_file is None:
            return None
        try:
            stat = self.user_file.stat()
        except OSError:
            return None
        # The inode too: every change replaces the file, so a rewrite of the same size within
        # the clock's resolution is still seen.
        return stat.st_ino, stat.st_mtime_ns, stat.st_size

    def current(self) -> Lexicon:
        """The lexicon now (cheap: one ``stat`` of the trainers' file)."""
        stamp = self._file_stamp()
        english = self.english
        if stamp == self._stamp and english is self._current.english:
            return self._current
        with self._lock:
            if stamp == self._stamp:
                self._current = replace(self._current, english=english)
                return self._current
            groups: Sequence[tuple[str, ...]] = ()
            if stamp is not None and self.user_file is not None:
                try:
                    groups = parse_synonyms(_read_or_empty(self.user_file))
                except AppError as exc:
                    # Once per change of the file: the stamp is kept below.
                    log.warning(
                        "trainers' synonyms file %s not read (%s): questions use the shipped "
                        "groups only",
                        self.user_file,
                        exc.params.get("detail", exc.code),
                    )
                    groups = ()
            self._current = Lexicon(self._informal, self._bundled + tuple(groups), english)
            self._stamp = stamp
        return self._current

    def user_groups(self) -> list[tuple[str, ...]]:
        """The groups trainers added (the data folder's file).

        Raises:
            InvalidSynonyms: the file is not UTF-8 text in a regular file of at most
                :data:`MAX_SYNONYMS_BYTES` (``unreadable``).
        """
        if self.user_file is None:
            return []
        return parse_synonyms(_read_or_empty(self.user_file))

    @property
    def english(self) -> EnglishDictionary:
        """The English-Indonesian dictionary in force (empty when not installed)."""
        if self._english_path is not None:
            self._english = load_english_dictionary(self._english_path)
        return self._english

    def bundled_groups(self) -> list[tuple[str, ...]]:
        return list(self._bundled)

    def add_group(self, expressions: Iterable[str]) -> tuple[tuple[str, ...], bool]:
        """Add a group to the trainers' file (created if missing), unless a group in force
        (shipped or added) already holds all its expressions by :func:`synonym_key`.

        Returns:
            the group written, and True; or the group in force that holds it, and False.

        Raises:
            InvalidSynonyms: fewer than two distinct expressions, ``|`` or ``#`` in one, or a
                group over :data:`MAX_GROUP_EXPRESSIONS` / :data:`MAX_EXPRESSION_CHARS`.
            StorageFull, StorageUnwritable: the file could not be written; it is unchanged.
        """
        group = _checked_group(expressions)
        wanted = _keys(group)
        path = self._writable_file()
        with self._changing(path):
            text = _read_or_empty(path)
            for existing in (*self._bundled, *parse_synonyms(text)):
                if wanted <= _keys(existing):
                    return existing, False
            if not text:
                text = SYNONYMS_HEADER
            elif not text.endswith("\n"):
                text += "\n"
            self._write(path, text + " | ".join(group) + "\n")
        return group, True

    def remove_group(self, expressions: Iterable[str]) -> tuple[str, ...]:
        """Remove the trainers' group that holds every expression named (one is enough when
        only one group holds it); the file's other lines stay as they were written.

        Raises:
            SynonymGroupNotFound: no trainers' group holds them.
            SynonymGroupShipped: only a group shipped with Sinergi does (not removable).
            SynonymGroupsAmbiguous: several trainers' groups do: name another expression.
        """
        named = [_clean_expression(e) for e in expressions]
        wanted = {synonym_key(e) for e in named if synonym_key(e)}
        shown = " | ".join(e for e in named if e)
        if not wanted:
            raise SynonymGroupNotFound(expressions=shown)
        path = self._writable_file()
        with self._changing(path):
            lines = _read_or_empty(path).splitlines(keepends=True)
            hits = [
                (i, group)
                for i, line in enumerate(lines)
                if (group := _parse_line(line)) is not None and wanted <= _keys(group)
            ]
            if not hits:
                shipped = next((g for g in self._bundled if wanted <= _keys(g)), None)
                if shipped is not None:
                    raise SynonymGroupShipped(group=" | ".join(shipped))
                raise SynonymGroupNotFound(expressions=shown)
            if len({synonym_key(" | ".join(g)) for _, g in hits}) > 1:
                raise SynonymGroupsAmbiguous(
                    expressions=shown,
                    count=len(hits),
                    groups="; ".join(" | ".join(g) for _, g in hits),
                )
            # The same group written twice by hand goes with all its copies.
            gone = {i for i, _ in hits}
            self._write(path, "".join(line for i, line in enumerate(lines) if i not in gone))
        return hits[0][1]

    def _writable_file(self) -> Path:
        if self.user_file is None:
            raise InvalidSynonyms(detail="no synonyms file configured")
        return self.user_file

    def _changing(self, path: Path) -> AbstractContextManager[None]:
        """Every change reads, edits and replaces the file under an ``flock`` beside it, so two
        trainers' commands at once do not lose one another's group."""
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise storage_error(exc, str(path)) from exc
        return file_lock(path.with_name(f".{path.name}.lock"))

    def _write(self, path: Path, text: str) -> None:
        """Replace the trainers' file with ``text``, all or nothing.

        A symbolic link (the file kept with the deployment's configuration, linked into the
        data folder) is written through: its target is replaced atomically and the link
        stays, as the file is read through it. Replacing the link by a file would leave the
        configuration's copy behind, and the next deployment would bring the old groups back.
        """
        data = text.encode("utf-8")
        target = Path(os.path.realpath(path))
        try:
            # Readable by the trainers who edit it by hand, like the file it replaces.
            write_atomically(target, lambda handle: handle.write(data), mode=0o644)
        except OSError as exc:
            raise storage_error(exc, str(path)) from exc


def _read_or_empty(path: Path) -> str:
    """The trainers' file as text ("" when there is none yet).

    Raises:
        InvalidSynonyms: ``unreadable``: not UTF-8 (written back, the undecodable bytes would
            be lost: the trainer fixes the file first), no regular file (a FIFO is never
            waited on, ``/dev/zero`` never read without end) or past :data:`MAX_SYNONYMS_BYTES`.
        StorageUnwritable: the file could not be opened or read.
    """
    try:
        # O_NONBLOCK: opening a FIFO does not wait for a writer (it is refused below).
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        return ""
    except OSError as exc:
        raise storage_error(exc, str(path)) from exc
    try:
        with os.fdopen(fd, "rb") as handle:
            regular = stat.S_ISREG(os.fstat(fd).st_mode)
            data = handle.read(MAX_SYNONYMS_BYTES + 1) if regular else b""
    except OSError as exc:
        raise storage_error(exc, str(path)) from exc
    if not regular or len(data) > MAX_SYNONYMS_BYTES:
        detail = "not a regular file" if not regular else f"over {MAX_SYNONYMS_BYTES} bytes"
        raise InvalidSynonyms(detail=detail, unreadable=True, path=str(path))
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidSynonyms(detail=str(exc), unreadable=True, path=str(path)) from exc


def _checked_group(expressions: Iterable[str]) -> tuple[str, ...]:
    """A trainer's group as it will be written: each expression cleaned (controls out, one
    space), each once, within the limits."""
    kept: dict[str, str] = {}
    for count, raw in enumerate(expressions, start=1):
        expression = _clean_expression(raw)
        if "|" in expression or "#" in expression:
            raise InvalidSynonyms(detail="| or # in an expression")
        if len(expression) > MAX_EXPRESSION_CHARS or count > MAX_GROUP_EXPRESSIONS:
            raise InvalidSynonyms(
                detail="group too long",
                too_long=True,
                max_expressions=MAX_GROUP_EXPRESSIONS,
                max_chars=MAX_EXPRESSION_CHARS,
            )
        if _names_something(expression):
            kept.setdefault(expression, expression)
    if len(kept) < 2:
        raise InvalidSynonyms(detail="a group needs two or more different expressions")
    return tuple(kept.values())
