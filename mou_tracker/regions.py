"""Indonesia's provinces, regencies and cities, and the name resolution officials' spellings need.

Officials write "Kab. Kerinci", "Pemkot Tanjungpinang", "KOTA BANDUNG" or "Serdang Bedagei"; the
directory maps all of those to the one official region. A bare name that two regions share
("Tasikmalaya": Kabupaten and Kota) is an error that lists the candidates, never a guess.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Literal

from rapidfuzz import fuzz, process

from core.text import clean_line
from mou_tracker.errors import RegionAmbiguous, RegionNotFound

Level = Literal["province", "regency", "city"]
LEVELS: tuple[Level, ...] = ("province", "regency", "city")

#: Accepted prefixes (already normalised: lower case, no punctuation), longest first per level.
_PREFIXES: tuple[tuple[str, Level | None], ...] = (
    ("pemerintah kabupaten", "regency"),
    ("pemerintah kota", "city"),
    ("pemerintah provinsi", "province"),
    ("pemerintah daerah kabupaten", "regency"),
    ("pemerintah daerah kota", "city"),
    ("pemerintah daerah provinsi", "province"),
    ("pemerintah daerah", None),
    ("pemerintah", None),
    ("pemda kabupaten", "regency"),
    ("pemda kab", "regency"),
    ("pemda kota", "city"),
    ("pemda", None),
    ("kabupaten", "regency"),
    ("pemkab", "regency"),
    ("kab", "regency"),
    ("kotamadya", "city"),
    ("kodya", "city"),
    ("pemkot", "city"),
    ("kota", "city"),
    ("provinsi", "province"),
    ("pemprov", "province"),
    ("prov", "province"),
    ("propinsi", "province"),
)
# Official names sometimes carry "Administrasi" (Jakarta); nobody writes it.
_NOISE_WORDS = ("administrasi",)

#: Common short names of provinces, mapped to the official name's key.
_PROVINCE_ALIASES = {
    "dkijakarta": "daerahkhususibukotajakarta",
    "dki": "daerahkhususibukotajakarta",
    "diy": "daerahistimewayogyakarta",
    "diyogyakarta": "daerahistimewayogyakarta",
    "jabar": "jawabarat",
    "jateng": "jawatengah",
    "jatim": "jawatimur",
    "sumut": "sumaterautara",
    "sumbar": "sumaterabarat",
    "sumsel": "sumateraselatan",
    "kepri": "kepulauanriau",
    "babel": "kepulauanbangkabelitung",
    "kalbar": "kalimantanbarat",
    "kalteng": "kalimantantengah",
    "kalsel": "kalimantanselatan",
    "kaltim": "kalimantantimur",
    "kaltara": "kalimantanutara",
    "sulut": "sulawesiutara",
    "sulteng": "sulawesitengah",
    "sulsel": "sulawesiselatan",
    "sultra": "sulawesitenggara",
    "sulbar": "sulawesibarat",
    "ntb": "nusatenggarabarat",
    "ntt": "nusatenggaratimur",
}

#: Short names officials use for regencies and cities, mapped to the official name's key.
SHORT_NAMES = {
    "sergai": "serdangbedagai",
    "tasik": "tasikmalaya",
    "lotim": "lomboktimur",
    "lobar": "lombokbarat",
    "loteng": "lomboktengah",
    "lombokutara": "lombokutara",
    "klu": "lombokutara",
    "tanjabbar": "tanjungjabungbarat",
    "tanjabtim": "tanjungjabungtimur",
    "sumbawabarat": "sumbawabarat",
    "kukar": "kutaikartanegara",
    "kutim": "kutaitimur",
    "kubar": "kutaibarat",
    "labura": "labuhanbatuutara",
    "labusel": "labuhanbatuselatan",
    "tapsel": "tapanuliselatan",
    "taput": "tapanuliutara",
    "tapteng": "tapanulitengah",
    "madina": "mandailingnatal",
    "inhu": "indragirihulu",
    "inhil": "indragirihilir",
    "oku": "ogankomeringulu",
    "oki": "ogankomeringilir",
    "muba": "musibanyuasin",
    "mura": "musirawas",
    "jaksel": "jakartaselatan",
    "jakbar": "jakartabarat",
    "jaktim": "jakartatimur",
    "jakut": "jakartautara",
    "jakpus": "jakartapusat",
    "solo": "surakarta",
    "jogja": "yogyakarta",
    "yogya": "yogyakarta",
    "jogjakarta": "yogyakarta",
}

#: Fuzzy matches below this score (0-100) are only suggestions, never a resolution.
FUZZY_ACCEPT = 85.0
FUZZY_SUGGEST = 80.0
_MAX_QUERY = 200


@dataclass(frozen=True)
class Region:
    """One province, regency or city, by its Kemendagri code."""

    code: str
    name: str
    level: Level
    province_code: str
    province_name: str
    timezone: str

    @property
    def is_province(self) -> bool:
        return self.level == "province"


def _fold(text: str) -> str:
    """Lower case, accents and punctuation away, single spaces."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = re.sub(r"[^0-9a-z]+", " ", text.casefold())
    return " ".join(text.split())


def split_prefix(name: str) -> tuple[Level | None, str]:
    """The level a prefix names ("Kab." -> regency) and the rest, normalised and folded."""
    folded = _fold(name)
    level: Level | None = None
    for prefix, prefix_level in _PREFIXES:
        if folded == prefix:
            break
        if folded.startswith(prefix + " "):
            folded = folded[len(prefix) + 1 :]
            level = prefix_level
            break
    words = [w for w in folded.split() if w not in _NOISE_WORDS]
    return level, " ".join(words)


def name_key(text: str) -> str:
    """The spacing-insensitive key of a bare name: "Tanjung Pinang" and "Tanjungpinang" agree."""
    return text.replace(" ", "")


class RegionDirectory:
    """Every region, with lookup by code and forgiving lookup by name."""

    def __init__(self, regions: Iterable[Region]) -> None:
        self._regions: tuple[Region, ...] = tuple(sorted(regions, key=lambda r: r.code))
        self._by_code: dict[str, Region] = {r.code: r for r in self._regions}
        self._by_key: dict[str, list[Region]] = {}
        # The compact form of the full official name too ("kabupatenkotabaru"), so names that
        # begin with a prefix word ("Kotabaru") are still found when written without one.
        self._by_full: dict[str, Region] = {}
        for region in self._regions:
            _, bare = split_prefix(region.name)
            self._by_key.setdefault(name_key(bare), []).append(region)
            self._by_full[name_key(_fold(region.name))] = region
        self._keys: list[str] = sorted(self._by_key)

    @classmethod
    def load(cls) -> RegionDirectory:
        """The directory shipped with the package (``mou_tracker/data/regions-2025.csv``)."""
        text = (
            resources.files("mou_tracker")
            .joinpath("data", "regions-2025.csv")
            .read_text(encoding="utf-8")
        )
        return cls.from_csv(text)

    @classmethod
    def from_csv(cls, text: str) -> RegionDirectory:
        rows = csv.DictReader(io.StringIO(text))
        regions = []
        for row in rows:
            level = row["level"].strip()
            if level not in LEVELS:
                raise ValueError(f"unknown level {level!r} for region {row['code']}")
            regions.append(
                Region(
                    code=row["code"].strip(),
                    name=" ".join(row["name"].split()),
                    level=level,  # type: ignore[arg-type]  # checked just above
                    province_code=row["province_code"].strip(),
                    province_name=" ".join(row["province_name"].split()),
                    timezone=row["timezone"].strip(),
                )
            )
        return cls(regions)

    def all(self) -> list[Region]:
        return list(self._regions)

    def __len__(self) -> int:
        return len(self._regions)

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    def get(self, code: str) -> Region:
        """The region with this Kemendagri code (``"32.73"``)."""
        region = self._by_code.get(code.strip()) if isinstance(code, str) else None
        if region is None:
            raise RegionNotFound(str(code))
        return region

    def resolve(self, name: str) -> Region:
        """The one region an official's spelling means.

        Raises:
            RegionAmbiguous: the name fits several regions (``candidates`` lists them).
            RegionNotFound: nothing fits closely enough (``suggestions`` lists near names).
        """
        return self.resolve_match(name)[0]

    def resolve_match(self, name: str) -> tuple[Region, bool]:
        """Like :meth:`resolve`, and whether the spelling was corrected (a fuzzy match such as
        "Kabupaten Kerinchi" -> Kabupaten Kerinci), so an import can say so."""
        # Cleaned as stored text is: a code copied with a zero-width space ("32.73\u200b") is
        # the code, and a message never repeats an invisible character back.
        query = clean_line(str(name))[:_MAX_QUERY]
        if query in self._by_code:
            return self._by_code[query], False
        level, bare = split_prefix(query)
        key = name_key(bare)
        if not key:
            raise RegionNotFound(query)
        found = self._exact(level, key)
        if found is not None:
            return self._single(query, found), False
        full = self._by_full.get(name_key(_fold(query)))
        if full is not None:
            return full, False
        return self._fuzzy(query, level, key), True

    def search(self, text: str, limit: int = 5) -> list[Region]:
        """The regions whose names come closest to ``text``, best first."""
        query = clean_line(str(text))[:_MAX_QUERY]
        if limit <= 0:
            return []
        if query in self._by_code:
            return [self._by_code[query]]
        level, bare = split_prefix(query)
        key = name_key(bare)
        if not key:
            return []
        exact = self._exact(level, key) or []
        results: list[Region] = list(exact)
        for match_key, _score, _ in process.extract(
            key, self._keys, scorer=fuzz.WRatio, limit=limit * 3
        ):
            for region in self._by_key[match_key]:
                if level is not None and region.level != level:
                    continue
                if region not in results:
                    results.append(region)
        return results[:limit]

    def named(self, key: str, level: Level | None = None) -> list[Region]:
        """The regions whose bare name has this key ("kerinci"; see :func:`name_key`), of
        ``level`` if given; common short names count ("sergai", "jabar")."""
        key = SHORT_NAMES.get(key, key)
        return list(self._exact(level, key) or ())

    def name_keys(self) -> list[str]:
        """Every bare-name key, sorted (for matching names inside a sentence)."""
        return list(self._keys)

    # --- internals -----------------------------------------------------------------------

    def _exact(self, level: Level | None, key: str) -> list[Region] | None:
        candidates = self._by_key.get(key)
        if not candidates and key in _PROVINCE_ALIASES and level in (None, "province"):
            candidates = self._by_key.get(_PROVINCE_ALIASES[key])
        if not candidates:
            return None
        if level is not None:
            candidates = [r for r in candidates if r.level == level]
        return candidates or None

    def _single(self, query: str, found: Sequence[Region]) -> Region:
        if len(found) == 1:
            return found[0]
        raise RegionAmbiguous(query, tuple(r.name for r in found))

    def _fuzzy(self, query: str, level: Level | None, key: str) -> Region:
        keys = self._keys
        if level is not None:
            keys = [k for k in keys if any(r.level == level for r in self._by_key[k])]
        matches = process.extract(key, keys, scorer=fuzz.ratio, limit=5)
        accepted = [m for m in matches if m[1] >= FUZZY_ACCEPT]
        if accepted and len(key) >= 5:
            best_score = accepted[0][1]
            best = [m[0] for m in accepted if best_score - m[1] < 3.0]
            regions = [
                r for k in best for r in self._by_key[k] if level is None or r.level == level
            ]
            return self._single(query, regions)
        # Suggestions look across levels: "Kota Kerinci" should point at Kabupaten Kerinci.
        suggestions: list[str] = []
        for match_key, score, _ in process.extract(key, self._keys, scorer=fuzz.WRatio, limit=5):
            if score < FUZZY_SUGGEST:
                continue
            suggestions.extend(r.name for r in self._by_key[match_key])
        raise RegionNotFound(query, tuple(suggestions[:5]))
