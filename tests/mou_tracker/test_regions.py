"""The region directory: official data, officials' spellings, ambiguity, typos."""

from __future__ import annotations

import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.errors import AppError
from mou_tracker.errors import RegionAmbiguous, RegionNotFound
from mou_tracker.regions import Region, RegionDirectory, split_prefix


@pytest.fixture(scope="module")
def directory() -> RegionDirectory:
    return RegionDirectory.load()


def test_loads_every_province_regency_and_city(directory: RegionDirectory) -> None:
    regions = directory.all()
    assert len(regions) == 552
    assert sum(r.level == "province" for r in regions) == 38
    assert {r.timezone for r in regions} == {
        "Asia/Jakarta",
        "Asia/Pontianak",
        "Asia/Makassar",
        "Asia/Jayapura",
    }


def test_get_by_code(directory: RegionDirectory) -> None:
    bandung = directory.get("32.73")
    assert bandung == Region("32.73", "Kota Bandung", "city", "32", "Jawa Barat", "Asia/Jakarta")


def test_get_unknown_code_is_not_found(directory: RegionDirectory) -> None:
    with pytest.raises(RegionNotFound) as info:
        directory.get("99.99")
    assert info.value.code == "region.not_found"


@pytest.mark.parametrize("written", ["32.73\u200b", "\ufeff32.73", "32.\u206073"])
def test_a_code_copied_with_invisible_characters_is_the_code(
    directory: RegionDirectory, written: str
) -> None:
    # Copied from a web page or a spreadsheet: before, "Region "32.73" was not found", the
    # message repeating a code that looked exactly like a known one.
    assert directory.resolve(written).code == "32.73"
    assert [r.code for r in directory.search(written)] == ["32.73"]


def test_names_are_trimmed(directory: RegionDirectory) -> None:
    # The source spells "Kota Administrasi Jakarta Utara " with a trailing space.
    assert directory.get("31.72").name == "Kota Administrasi Jakarta Utara"


@pytest.mark.parametrize(
    ("spelling", "code"),
    [
        ("Kabupaten Kerinci", "15.01"),
        ("Kab. Kerinci", "15.01"),
        ("Kab Kerinci", "15.01"),
        ("KAB. KERINCI", "15.01"),
        ("Pemkab Kerinci", "15.01"),
        ("Pemerintah Kabupaten Kerinci", "15.01"),
        ("Kerinci", "15.01"),
        ("Kota Bandung", "32.73"),
        ("Pemkot Bandung", "32.73"),
        ("Pemerintah Kota Bandung", "32.73"),
        ("kota  bandung", "32.73"),
        ("Kab. Bandung", "32.04"),
        ("Tanjungpinang", "21.72"),
        ("Kota Tanjungpinang", "21.72"),
        ("Kota Tanjung Pinang", "21.72"),
        ("Serdang Bedagai", "12.18"),
        ("Kab. Aceh Tengah", "11.04"),
        ("Mempawah", "61.02"),
        ("Kota Mojokerto", "35.76"),
        ("Kabupaten Tasikmalaya", "32.06"),
        ("Jakarta Utara", "31.72"),
        ("Kotabaru", "63.02"),
        ("32.73", "32.73"),
    ],
)
def test_resolves_officials_spellings(directory: RegionDirectory, spelling: str, code: str) -> None:
    assert directory.resolve(spelling).code == code


@pytest.mark.parametrize(
    ("spelling", "code"),
    [
        ("Jawa Barat", "32"),
        ("Provinsi Jawa Barat", "32"),
        ("Prov. Jambi", "15"),
        ("DKI Jakarta", "31"),
        ("Jabar", "32"),
        ("Kepulauan Riau", "21"),
    ],
)
def test_resolves_provinces(directory: RegionDirectory, spelling: str, code: str) -> None:
    region = directory.resolve(spelling)
    assert region.code == code
    assert region.level == "province"


@pytest.mark.parametrize(
    ("typo", "code"),
    [
        ("Kab. Kerinic", "15.01"),
        ("Serdang Bedagei", "12.18"),
        ("Sarolangn", "15.03"),
        ("Kab. Mempwah", "61.02"),
        ("Kota Tanjung Pinag", "21.72"),
    ],
)
def test_fixes_typos(directory: RegionDirectory, typo: str, code: str) -> None:
    assert directory.resolve(typo).code == code


@pytest.mark.parametrize(
    ("name", "candidates"),
    [
        ("Tasikmalaya", {"Kabupaten Tasikmalaya", "Kota Tasikmalaya"}),
        ("Mojokerto", {"Kabupaten Mojokerto", "Kota Mojokerto"}),
        ("Bandung", {"Kabupaten Bandung", "Kota Bandung"}),
        ("bandung", {"Kabupaten Bandung", "Kota Bandung"}),
        ("Jambi", {"Jambi", "Kota Jambi"}),
        ("Bandng", {"Kabupaten Bandung", "Kota Bandung"}),  # a typo of an ambiguous name
    ],
)
def test_bare_shared_names_are_ambiguous(
    directory: RegionDirectory, name: str, candidates: set[str]
) -> None:
    with pytest.raises(RegionAmbiguous) as info:
        directory.resolve(name)
    assert info.value.code == "region.ambiguous"
    assert set(info.value.params["candidate_list"]) == candidates


def test_unknown_name_suggests_near_ones(directory: RegionDirectory) -> None:
    with pytest.raises(RegionNotFound) as info:
        directory.resolve("Kota Kerinci")  # Kerinci is a regency
    assert "Kabupaten Kerinci" in info.value.params["suggestion_list"]


def test_the_message_lists_near_names_only_when_there_are_some(
    directory: RegionDirectory,
) -> None:
    from services.messages import error_message

    with pytest.raises(RegionNotFound) as near:
        directory.resolve("Kota Kerinci")
    assert "nama yang mirip: Kabupaten Kerinci" in error_message(near.value, "id")
    assert "similar names: Kabupaten Kerinci" in error_message(near.value, "en")
    with pytest.raises(RegionNotFound) as none:
        directory.resolve("Atlantis")
    assert none.value.code == "region.not_found"  # the code stays; only the wording differs
    assert error_message(none.value, "id") == 'Daerah "Atlantis" tidak ditemukan.'
    assert error_message(none.value, "en") == 'Region "Atlantis" was not found.'
    revived = pickle.loads(pickle.dumps(none.value))
    assert error_message(revived, "en") == 'Region "Atlantis" was not found.'


@pytest.mark.parametrize("nonsense", ["", "   ", "Kabupaten", "Kota", "xyz", "Gotham City"])
def test_nonsense_is_not_found(directory: RegionDirectory, nonsense: str) -> None:
    with pytest.raises(RegionNotFound):
        directory.resolve(nonsense)


def test_short_typos_are_not_guessed(directory: RegionDirectory) -> None:
    # "Bau" is close to both "Bau Bau" and "Batu": a suggestion, never a silent pick.
    with pytest.raises(RegionNotFound):
        directory.resolve("Bau")


def test_split_prefix() -> None:
    assert split_prefix("Kab. Aceh Tengah") == ("regency", "aceh tengah")
    assert split_prefix("Pemkot Tanjungpinang") == ("city", "tanjungpinang")
    assert split_prefix("Provinsi Jambi") == ("province", "jambi")
    assert split_prefix("Kabupaten Administrasi Kepulauan Seribu") == (
        "regency",
        "kepulauan seribu",
    )


def test_search_ranks_close_names(directory: RegionDirectory) -> None:
    names = [r.name for r in directory.search("bandung", limit=5)]
    assert names[:2] == ["Kabupaten Bandung", "Kota Bandung"]
    assert "Kabupaten Bandung Barat" in names
    cities = directory.search("Kota Bandung", limit=3)
    assert cities[0].name == "Kota Bandung"
    assert {r.level for r in cities} == {"city"}
    assert directory.search("", limit=5) == []
    assert directory.search("bandung", limit=0) == []


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_resolve_never_crashes_with_anything_but_app_errors(text: str) -> None:
    directory = _shared_directory()
    try:
        region = directory.resolve(text)
    except AppError as err:
        assert err.code in ("region.not_found", "region.ambiguous")
    else:
        assert region.code in directory


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(RegionDirectory.load().all()), st.sampled_from(["", "  ", "\t"]))
def test_every_official_name_resolves_to_itself(region: Region, pad: str) -> None:
    directory = _shared_directory()
    # Province names carry no prefix and some equal a regency's ("Gorontalo"): officials write
    # "Provinsi Gorontalo" then.
    name = f"Provinsi {region.name}" if region.level == "province" else region.name
    assert directory.resolve(pad + name.upper() + pad) == region


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40), st.integers(min_value=-3, max_value=10))
def test_search_never_crashes(text: str, limit: int) -> None:
    results = _shared_directory().search(text, limit=limit)
    assert len(results) <= max(limit, 0)


_DIRECTORY: list[RegionDirectory] = []


def _shared_directory() -> RegionDirectory:
    if not _DIRECTORY:
        _DIRECTORY.append(RegionDirectory.load())
    return _DIRECTORY[0]
