"""The trainers' synonyms file: one rule for "the same expression", atomic writes, removal."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from core.errors import InvalidInput, NotFound, StorageFull
from knowledge_base.errors import (
    InvalidSynonyms,
    SynonymGroupNotFound,
    SynonymGroupsAmbiguous,
    SynonymGroupShipped,
)
from knowledge_base.lexicon import (
    MAX_EXPRESSION_CHARS,
    MAX_GROUP_EXPRESSIONS,
    MAX_SYNONYMS_BYTES,
    SYNONYMS_HEADER,
    LexiconSource,
    synonym_key,
)


@pytest.fixture
def source(tmp_path: Path) -> LexiconSource:
    return LexiconSource(tmp_path / "synonyms.txt", informal=False)


def test_one_key_rule_ignores_case_spacing_and_hyphens() -> None:
    assert synonym_key("e-RK") == synonym_key("eRK") == synonym_key(" ERK ")
    assert synonym_key("Surat  Izin\tUsaha") == synonym_key("surat izin usaha")
    assert synonym_key("kerja sama") != synonym_key("kerjasama")  # a group's two spellings


def test_a_group_already_in_force_up_to_hyphens_is_not_written_again(
    source: LexiconSource,
) -> None:
    group, added = source.add_group(["e-Sakip", "sistem akuntabilitas kinerja elektronik"])
    assert added and group == ("e-Sakip", "sistem akuntabilitas kinerja elektronik")
    before = source.user_file.read_bytes()  # type: ignore[union-attr]
    group, added = source.add_group(["eSakip", "Sistem  Akuntabilitas Kinerja Elektronik"])
    assert not added and group == ("e-Sakip", "sistem akuntabilitas kinerja elektronik")
    _, added = source.add_group(["ESAKIP", "e-sakip"])  # two spellings of one expression
    assert not added
    assert source.user_file.read_bytes() == before  # type: ignore[union-attr]
    # a shipped group (TPP is one) is not copied into the trainers' file
    _, added = source.add_group(["tpp", "Tambahan Penghasilan Pegawai"])
    assert not added


def test_a_failed_write_leaves_the_file_as_it_was(
    source: LexiconSource, monkeypatch: pytest.MonkeyPatch
) -> None:
    source.add_group(["SIUP", "surat izin usaha perdagangan"])
    path = source.user_file
    assert path is not None
    before = path.read_bytes()

    def disk_full(_fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(StorageFull):
        source.add_group(["NIB", "nomor induk berusaha"])
    assert path.read_bytes() == before
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".tmp")]  # none left
    monkeypatch.undo()
    assert source.user_groups() == [("SIUP", "surat izin usaha perdagangan")]


@pytest.mark.parametrize("where", ["file", "folder"])
def test_a_loop_of_links_is_named_as_such(tmp_path: Path, where: str) -> None:
    # A synonyms file linked to a link back to it, or kept in a folder that is such a loop:
    # the error read "Too many levels of symbolic links" or "File exists" (the folder's
    # creation), in English inside the Indonesian line.
    from core.errors import StorageLinkLoop
    from services.messages import error_message

    if where == "file":
        path = tmp_path / "synonyms.txt"
        path.symlink_to("other.txt")
        (tmp_path / "other.txt").symlink_to("synonyms.txt")
    else:
        (tmp_path / "a").symlink_to("b")
        (tmp_path / "b").symlink_to("a")
        path = tmp_path / "a" / "synonyms.txt"
    source = LexiconSource(path, informal=False)
    with pytest.raises(StorageLinkLoop) as raised:
        source.add_group(["NIB", "nomor induk berusaha"])
    indonesian = error_message(raised.value, "id")
    assert "berputar kembali ke dirinya sendiri" in indonesian and str(path) in indonesian
    assert "leads back to itself" in error_message(raised.value, "en")
    assert "Too many" not in indonesian and "File exists" not in indonesian
    with pytest.raises(StorageLinkLoop):
        source.remove_group(["NIB"])
    assert (tmp_path / "a" if where == "folder" else path).is_symlink()  # left as it was


def test_a_linked_synonyms_file_is_written_through_its_link(tmp_path: Path) -> None:
    # The file kept with the deployment's configuration and linked into the data folder:
    # adding and removing replace the target (atomically) and leave the link in place.
    kept = tmp_path / "config" / "synonyms.txt"
    kept.parent.mkdir()
    kept.write_text(SYNONYMS_HEADER + "SIUP | surat izin usaha perdagangan\n", encoding="utf-8")
    data = tmp_path / "data"
    data.mkdir()
    link = data / "synonyms.txt"
    link.symlink_to(os.path.relpath(kept, data))
    source = LexiconSource(link, informal=False)
    _, added = source.add_group(["NIB", "nomor induk berusaha"])
    assert added and link.is_symlink() and link.resolve() == kept.resolve()
    assert kept.read_text(encoding="utf-8").endswith("NIB | nomor induk berusaha\n")
    assert source.user_groups() == [
        ("SIUP", "surat izin usaha perdagangan"),
        ("NIB", "nomor induk berusaha"),
    ]
    assert source.remove_group(["SIUP"]) == ("SIUP", "surat izin usaha perdagangan")
    assert link.is_symlink() and "SIUP" not in kept.read_text(encoding="utf-8")
    assert source.user_groups() == [("NIB", "nomor induk berusaha")]
    # No temporary file left beside the link or the target.
    assert sorted(p.name for p in kept.parent.iterdir()) == ["synonyms.txt"]
    assert not [p for p in data.iterdir() if p.name.endswith(".tmp")]


def test_a_trainers_group_is_removed_by_any_of_its_expressions(source: LexiconSource) -> None:
    assert source.user_file is not None
    source.user_file.write_text(
        SYNONYMS_HEADER + "# catatan pelatih\nSIUP | surat izin usaha\nNIB | nomor induk\n",
        encoding="utf-8",
    )
    assert source.remove_group(["siup"]) == ("SIUP", "surat izin usaha")
    text = source.user_file.read_text(encoding="utf-8")
    assert "# catatan pelatih" in text and "SIUP" not in text  # other lines kept as written
    assert source.user_groups() == [("NIB", "nomor induk")]
    assert all("SIUP" not in g for g in source.current().synonyms)  # questions stop using it
    with pytest.raises(SynonymGroupNotFound) as missing:
        source.remove_group(["SIUP"])
    assert isinstance(missing.value, NotFound)


def test_a_shipped_group_cannot_be_removed(source: LexiconSource) -> None:
    with pytest.raises(SynonymGroupShipped) as shipped:
        source.remove_group(["TPP"])
    assert isinstance(shipped.value, InvalidInput)
    assert "TPP" in shipped.value.params["group"]


def test_an_expression_in_two_trainers_groups_needs_a_second_one(source: LexiconSource) -> None:
    source.add_group(["TKD", "tes kompetensi dasar"])
    source.add_group(["TKD", "transfer ke daerah"])
    with pytest.raises(SynonymGroupsAmbiguous):
        source.remove_group(["tkd"])
    assert source.remove_group(["tkd", "transfer ke daerah"]) == ("TKD", "transfer ke daerah")
    assert source.user_groups() == [("TKD", "tes kompetensi dasar")]


@pytest.mark.parametrize(
    "expressions",
    [
        ["x" * (MAX_EXPRESSION_CHARS + 1), "panjang"],
        [f"ungkapan {i}" for i in range(MAX_GROUP_EXPRESSIONS + 1)],
        ["\x00\u202e", "\x07"],  # nothing left once the control characters are gone
        ["<!-- -->", "</>"],  # markup without a letter or a digit
    ],
)
def test_odd_groups_are_refused_and_nothing_is_written(
    source: LexiconSource, expressions: list[str]
) -> None:
    with pytest.raises(InvalidInput):
        source.add_group(expressions)
    assert source.user_file is not None and not source.user_file.exists()


def test_control_characters_and_markup_are_kept_out_or_as_text(source: LexiconSource) -> None:
    group, _ = source.add_group(["SAKIP\u202e", "sistem <i>akuntabilitas</i>\x00 kinerja"])
    assert group == ("SAKIP", "sistem <i>akuntabilitas</i> kinerja")
    assert source.user_groups() == [group]


def test_a_huge_hand_written_line_is_read_without_its_oversized_expressions(
    source: LexiconSource,
) -> None:
    assert source.user_file is not None
    huge = "a" * 2_000_000
    source.user_file.write_text(f"NIB | {huge} | nomor induk berusaha\nOPD | {huge}\n")
    assert source.user_groups() == [("NIB", "nomor induk berusaha")]
    assert ("NIB", "nomor induk berusaha") in source.current().synonyms


def test_concurrent_additions_are_all_kept(source: LexiconSource) -> None:
    other = LexiconSource(source.user_file, informal=False)  # another process's view
    groups = [[f"SINGKATAN{i}", f"kepanjangan nomor {i}"] for i in range(12)]

    def add(src: LexiconSource, group: list[str]) -> None:
        src.add_group(group)

    threads = [
        threading.Thread(target=add, args=(source if i % 2 else other, g))
        for i, g in enumerate(groups)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(source.user_groups()) == sorted(tuple(g) for g in groups)


def test_a_file_that_is_not_utf8_is_left_alone(source: LexiconSource) -> None:
    assert source.user_file is not None
    source.user_file.write_bytes(b"SIUP | surat izin \xff\xfe usaha\n")
    with pytest.raises(InvalidSynonyms) as refused:
        source.add_group(["NIB", "nomor induk berusaha"])
    assert refused.value.message_variant() == "unreadable"
    assert source.user_file.read_bytes() == b"SIUP | surat izin \xff\xfe usaha\n"


def test_a_file_that_is_not_utf8_is_refused_when_listed_too(source: LexiconSource) -> None:
    # ``kb synonyms`` (the list) said it with a traceback; the questions read no groups of it.
    assert source.user_file is not None
    source.user_file.write_bytes(b"SIUP | surat izin \xff\xfe usaha\n")
    with pytest.raises(InvalidSynonyms) as refused:
        source.user_groups()
    assert refused.value.message_variant() == "unreadable"
    assert source.current().synonyms == tuple(source.bundled_groups())


def _within(seconds: float, call: Callable[[], object]) -> object:
    """What ``call`` returns, or the exception it raised; fails the test if it hangs."""
    out: list[object] = []

    def run() -> None:
        try:
            out.append(call())
        except Exception as exc:  # handed to the test to check
            out.append(exc)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(seconds)
    assert not worker.is_alive(), "hung"
    return out[0]


@pytest.mark.parametrize("kind", ["fifo", "dev-zero", "too-large"])
def test_a_synonyms_file_that_is_no_text_file_is_never_waited_on_or_read_whole(
    tmp_path: Path, kind: str
) -> None:
    # A FIFO (or /dev/zero linked in) as the trainers' file hung every question and every
    # ``kb synonyms --add``; a huge file was read whole into memory on each change.
    path = tmp_path / "synonyms.txt"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "dev-zero":
        path.symlink_to("/dev/zero")
    else:
        path.write_text("SIUP | surat izin usaha\n" + "#" * MAX_SYNONYMS_BYTES)
    source = LexiconSource(path, informal=False)
    assert _within(5, lambda: source.current().synonyms) == tuple(source.bundled_groups())
    for call in (source.user_groups, lambda: source.add_group(["NIB", "nomor induk berusaha"])):
        refused = _within(5, call)
        assert isinstance(refused, InvalidSynonyms)
        assert refused.message_variant() == "unreadable"
    assert path.is_symlink() if kind == "dev-zero" else not path.is_symlink()


def test_invisible_characters_and_odd_hyphens_are_read_as_questions_read_them(
    source: LexiconSource,
) -> None:
    # Copied from a PDF, "SIM<soft hyphen>BG" was written as it came: the index read it as
    # "sim" + "bg", so the group never met a question's "SIMBG", and by the key rule a later
    # "SIMBG" was "already in force". A question drops such characters; so does a group.
    group, added = source.add_group(["SIM\u00adBG", "sistem informasi\u200b bangunan gedung"])
    assert added and group == ("SIMBG", "sistem informasi bangunan gedung")
    group, added = source.add_group(["\u200fPB\u200dG", "e\u2011PBG", "persetujuan bangunan"])
    assert added and group == ("PBG", "e-PBG", "persetujuan bangunan")
    assert source.user_file is not None
    with source.user_file.open("a", encoding="utf-8") as handle:
        handle.write("T\u2060PP | tambahan\u00ad penghasilan\n")  # written by hand
    assert source.user_groups()[-1] == ("TPP", "tambahan penghasilan")
    assert source.remove_group(["SIM\u00adBG"]) == ("SIMBG", "sistem informasi bangunan gedung")
