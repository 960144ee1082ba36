"""Replaying the answer's composition on recorded questions: the answers gained and lost, and
where the gold span of a miss stands."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import pytest

from bench.compose_replay import classify, diff, main
from knowledge_base.schemas import SearchHit


def _dump(path: Path, rows: list[dict[str, Any]]) -> Path:
    with path.open("wb") as fh:
        pickle.dump(rows, fh)
    return path


def _row(qid: str, hit: bool, text: str, **extra: Any) -> dict[str, Any]:
    return {"id": qid, "q": f"q {qid}", "qtype": "kapan", "answers": ("220",), "hit": hit,
            "chars": len(text), "text": text, **extra}  # fmt: skip


def test_diff_counts_the_answers_that_gain_and_lose_the_span(tmp_path: Path) -> None:
    before = _dump(tmp_path / "a.pkl", [_row("1", False, "x"), _row("2", True, "220"),
                                        _row("3", True, "220")])  # fmt: skip
    after = _dump(tmp_path / "b.pkl", [_row("1", True, "220"), _row("2", False, "y"),
                                       _row("3", True, "220")])  # fmt: skip
    assert diff(before, after, show=0) == (1, 1)


def _hit(cid: str, doc: str, text: str) -> SearchHit:
    return SearchHit(cid, doc, doc, text, None, None, 0, 0.5)


def test_classify_locates_the_gold_span_of_each_miss(tmp_path: Path) -> None:
    gold = _hit("g", "dg", "Dinasti Han berdiri. Dinasti Han berakhir tahun 220.")
    other = _hit("o", "do", "Dinasti Xin berakhir tahun 23.")
    records = _dump(
        tmp_path / "rec.pkl",
        [
            {"id": "won", "found": True, "answers": ("220",), "inputs": ("q", [other, gold], {})},
            {"id": "opening", "found": True, "answers": ("220",), "inputs": ("q", [gold], {})},
            {"id": "absent", "found": True, "answers": ("220",), "inputs": ("q", [other], {})},
        ],
    )
    units_both = [
        (0, 0, 5.0, other.text, 0.5, False, None),
        (1, 0, 4.0, "Dinasti Han berdiri.", 0.5, False, None),
        (1, 1, 3.0, "Dinasti Han berakhir tahun 220.", 0.5, False, None),
    ]
    rows = _dump(
        tmp_path / "rows.pkl",
        [
            _row("won", False, other.text, top=(0, 0), units=units_both),
            _row("opening", False, "Dinasti Han berdiri.", top=(0, 0), units=[
                (0, 0, 4.0, "Dinasti Han berdiri.", 0.5, False, None),
                (0, 1, 3.0, "Dinasti Han berakhir tahun 220.", 0.5, False, None)]),
            _row("absent", False, other.text, top=(0, 0), units=units_both[:1]),
        ],
    )  # fmt: skip
    qrels = tmp_path / "qrels.tsv"
    qrels.write_text("query-id\tcorpus-id\tscore\nwon\tdg\t1\nopening\tdg\t1\nabsent\tdg\t1\n")
    classes = classify(rows, [records], qrels)
    assert classes == {
        "a unit of another passage chosen": 1,
        "another unit of the gold passage chosen: the opening": 1,
        "gold passage not retrieved": 1,
    }


def test_the_module_explains_itself(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--help"])
    assert exited.value.code == 0
    assert "replay" in capsys.readouterr().out


def test_files_it_cannot_use_are_an_error_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = _dump(tmp_path / "rows.pkl", [_row("1", True, "220")])
    (tmp_path / "garbage.pkl").write_bytes(b"not a pickle at all")
    bad = {
        "missing": tmp_path / "missing.pkl",
        "garbage": tmp_path / "garbage.pkl",
        "not rows": _dump(tmp_path / "dict.pkl", {"id": "1"}),  # type: ignore[arg-type]
        "older rows": _dump(tmp_path / "old.pkl", [{"id": "1", "hit": True}]),
    }
    for what, path in bad.items():
        assert main(["diff", str(good), str(path)]) == 2, what
        err = capsys.readouterr().err
        assert err.startswith(f"error: {path}:") and "Traceback" not in err, (what, err)
    # rows replayed from other records than the ones given
    records = _dump(
        tmp_path / "rec.pkl", [{"id": "9", "found": True, "answers": (), "inputs": None}]
    )
    rows = _dump(tmp_path / "units.pkl", [_row("1", False, "x", top=None, units=[])])
    assert main(["classify", "--units", str(rows), str(records)]) == 2
    assert "do not hold" in capsys.readouterr().err
