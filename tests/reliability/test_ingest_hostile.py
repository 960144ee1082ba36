"""``kb ingest`` on hostile folders and names: ids that collide, links that leave the folder,
pipes, file names that are not UTF-8, and a failure after the original was stored."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from cli.errors import ExitStatus
from cli.main import main
from core.config import Settings
from services.container import Services

LONG = (
    "Panduan Penyelenggaraan Pelayanan Perizinan Berusaha Terintegrasi Secara Elektronik "
    "Kota Bandung"
)


def ingest(capsys: pytest.CaptureFixture[str], *paths: Path) -> tuple[int, dict[str, object]]:
    capsys.readouterr()
    status = main(["kb", "ingest", *map(str, paths), "--json"])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return status, json.loads(out)


def documents(capsys: pytest.CaptureFixture[str]) -> dict[str, str]:
    capsys.readouterr()
    assert main(["kb", "list", "--json"]) == 0
    return {d["source_name"]: d["doc_id"] for d in json.loads(capsys.readouterr().out)}


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text((text + "\n") * 3, encoding="utf-8")
    return path


def cited(capsys: pytest.CaptureFixture[str], question: str) -> set[str]:
    capsys.readouterr()
    assert main(["kb", "ask", question, "--json"]) == 0
    return {c["doc_id"] for c in json.loads(capsys.readouterr().out)["citations"]}


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (f"{LONG} Bagian 1.txt", f"{LONG} Bagian 2.txt"),  # the same first 80 characters
        ("文档一.txt", "文档二.txt"),  # both slug to "dokumen"
    ],
)
def test_names_with_the_same_slug_are_two_documents(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], first: str, second: str
) -> None:
    one = write(tmp_path / "a", first, "Pendaftaran akun dilakukan melalui portal perizinan.")
    status, report = ingest(capsys, one)
    assert status == 0 and report["added"] == 1
    two = write(tmp_path / "b", second, "Retribusi dibayar melalui bank daerah setiap bulan.")
    status, report = ingest(capsys, two)
    assert status == 0
    assert report["added"] == 1 and report["updated"] == 0  # not "updated": another document
    docs = documents(capsys)
    assert set(docs) == {first, second} and docs[first] != docs[second]
    (note,) = report["notes"]  # type: ignore[misc]
    assert note["params"]["doc_id"] == docs[second]
    assert note["params"]["other_doc_id"] == docs[first]
    assert note["params"]["other_file"] == first and first in note["message"]
    # The first document still answers; the second replaces only itself.
    assert docs[first] in cited(capsys, "Bagaimana pendaftaran akun di portal perizinan?")
    write(tmp_path / "b", second, "Retribusi dibayar melalui kanal digital setiap triwulan.")
    status, report = ingest(capsys, tmp_path / "b" / second)
    assert status == 0
    assert report["updated"] == 1 and report["added"] == 0 and report["notes"] == []
    assert documents(capsys) == docs
    assert docs[first] in cited(capsys, "Bagaimana pendaftaran akun di portal perizinan?")


def test_the_same_document_still_replaces_itself(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ingest(capsys, write(tmp_path / "a", "Panduan_Gampil.md", "Versi satu panduan Gampil."))
    status, report = ingest(
        capsys, write(tmp_path / "b", "panduan gampil.md", "Versi dua panduan Gampil.")
    )
    assert status == 0
    assert report["updated"] == 1 and report["added"] == 0
    assert list(documents(capsys).values()) == ["panduan-gampil"]


def test_a_folder_is_read_as_its_owner_sees_it(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "docs"
    write(folder, "panduan.txt", "Panduan layanan perizinan daring Kota Bandung.")
    outside = write(tmp_path / "elsewhere", "rahasia.txt", "kata sandi root adalah hunter2")
    (folder / "p.txt").symlink_to(outside)  # a file link leaving the folder
    (folder / "passwd.txt").symlink_to("/etc/passwd")
    (folder / "etc").symlink_to("/etc", target_is_directory=True)  # a folder link leaving it
    (folder / "inside.txt").symlink_to(folder / "panduan.txt")  # a link within: fine
    (folder / "gone.txt").symlink_to(folder / "missing.txt")  # dangling
    os.mkfifo(folder / "pipe.txt")  # reading it would block forever
    status, report = ingest(capsys, folder)
    assert status == ExitStatus.FAILED  # some files were refused; the others are in
    failed = {Path(f["file"]).name: f["code"] for f in report["failed"]}  # type: ignore[union-attr]
    assert failed == {
        "p.txt": "ingest.link_outside",
        "passwd.txt": "ingest.link_outside",
        "etc": "ingest.link_outside",
        "gone.txt": "ingest.not_regular_file",
        "pipe.txt": "ingest.not_regular_file",
    }
    assert set(documents(capsys)) == {"panduan.txt", "inside.txt"}
    assert cited(capsys, "kata sandi root hunter2") == set()
    # A pipe or a device named directly is refused too, not read.
    status, report = ingest(capsys, folder / "pipe.txt")
    assert status == ExitStatus.FAILED
    assert [f["code"] for f in report["failed"]] == ["ingest.not_regular_file"]  # type: ignore[union-attr]


def test_link_loops_are_refused_and_the_rest_is_read(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "docs"
    write(folder, "panduan.txt", "Panduan layanan perizinan daring Kota Bandung.")
    (folder / "self.md").symlink_to("self.md")  # a link to itself
    (folder / "a.md").symlink_to("b.md")  # two links to each other
    (folder / "b.md").symlink_to("a.md")
    status, report = ingest(capsys, folder)
    assert status == ExitStatus.FAILED  # refused with a reason, never a crash
    failed = {Path(f["file"]).name: f for f in report["failed"]}  # type: ignore[union-attr]
    assert set(failed) == {"self.md", "a.md", "b.md"}
    assert {f["code"] for f in failed.values()} == {"ingest.not_regular_file"}
    assert all("link-loop" in f["message"] for f in failed.values())
    assert report["added"] == 1 and set(documents(capsys)) == {"panduan.txt"}
    # Named directly, a loop is the same refusal.
    status, report = ingest(capsys, folder / "self.md")
    assert status == ExitStatus.FAILED
    (only,) = report["failed"]  # type: ignore[misc]
    assert only["code"] == "ingest.not_regular_file" and "link-loop" in only["message"]


def test_a_file_named_directly_is_read_through_its_link(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The operator named the path (as with cp or find -H): followed wherever it leads, and the
    # document is the name given, so the next version behind the link replaces it.
    v1 = write(tmp_path / "rilis", "v1.txt", "Retribusi dibayar melalui bank daerah setiap bulan.")
    v2 = write(
        tmp_path / "rilis", "v2.txt", "Retribusi dibayar melalui kanal digital tiap triwulan."
    )
    current = tmp_path / "share" / "terkini.txt"
    current.parent.mkdir()
    current.symlink_to(v1)
    status, report = ingest(capsys, current)
    assert status == 0 and report["added"] == 1
    assert list(documents(capsys)) == ["terkini.txt"]
    current.unlink()
    current.symlink_to(v2)
    status, report = ingest(capsys, current)
    assert status == 0 and report["updated"] == 1 and report["added"] == 0
    assert list(documents(capsys)) == ["terkini.txt"]
    # The same link inside a folder given as a folder leaves it: refused.
    status, report = ingest(capsys, current.parent)
    assert status == ExitStatus.FAILED
    assert [f["code"] for f in report["failed"]] == ["ingest.link_outside"]  # type: ignore[union-attr]


def test_options_with_undecodable_bytes_are_stored_readable(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Under the C locale `--app $'Gam\xffpil'` arrives as a lone surrogate, which no
    # database stores: the ingest failed with an unexpected error.
    path = write(tmp_path, "panduan.txt", "Panduan layanan perizinan daring Kota Bandung.")
    capsys.readouterr()
    assert main(["kb", "ingest", str(path), "--app", "Gam\udcffpil", "--json"]) == 0
    capsys.readouterr()
    assert main(["kb", "list", "--json"]) == 0
    [doc] = json.loads(capsys.readouterr().out)
    assert doc["app"] == "Gam\ufffdpil"


def test_file_names_that_are_not_utf8(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    raw = os.path.join(os.fsencode(folder), b"caf\xe9 panduan.txt")  # Latin-1, as old shares have
    with open(raw, "wb") as handle:
        handle.write(b"Panduan layanan izin usaha kafe dan restoran di Kota Bandung.\n" * 3)
    status, report = ingest(capsys, folder)
    assert status == 0 and report["added"] == 1
    assert "café panduan.txt" in documents(capsys)
    capsys.readouterr()
    assert main(["kb", "ingest", str(folder)]) == 0  # the human report prints it too
    assert "Traceback" not in capsys.readouterr().err


def test_a_failure_after_storing_the_original_leaves_no_orphan(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = Services(Settings())
    try:

        def broken(*_args: object, **_kwargs: object) -> int:
            raise RuntimeError("index failed")

        monkeypatch.setattr(services.index, "replace_document", broken)
        path = write(tmp_path / "docs", "panduan.txt", "Panduan layanan perizinan daring.")
        with pytest.raises(RuntimeError):
            services.ingest.ingest_paths([path])
        originals = data_dir / "originals"
        assert [p for p in originals.rglob("*") if p.is_file()] == []
    finally:
        services.close()
