"""Every ``sinergi`` command, fed hostile arguments, options and standard input (hypothesis).

The commands are read from the typer application itself, so a new command is fuzzed without
anyone adding it here. Each example asserts: a documented exit status (README: 0 to 7), no
traceback and no "unexpected error" (a bug), and nothing stored changed when the command failed
or only reads. The bounded run is derandomized (the same examples every run); a longer one is
``SINERGI_FUZZ_EXAMPLES=200 SINERGI_FUZZ_RANDOM=1 pytest tests/reliability/test_fuzz_cli.py``.
"""

from __future__ import annotations

import io
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer.main
from hypothesis import given
from hypothesis import strategies as st

from cli.errors import ExitStatus
from cli.main import app, main
from core.db import make_engine
from services import database
from services.messages import catalog
from tests.reliability.fuzz import ARGV_TEXT, ARGV_VALUE, FUZZ_SETTINGS, HOSTILE
from tests.reliability.snapshot import changed_tables, snapshot

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "samples" / "agreements.csv"

#: Commands that only read: whatever they are given, the database is the same afterwards.
READ_ONLY = {
    "db current",
    "regions find",
    "regions list",
    "regions show",
    "mou list",
    "mou show",
    "mou audit",
    "mou export",
    "mou report",
    "mou files",
    "mou search",
    "reminders due",
    "reminders log",
    "kb list",
    "kb gaps",
    "users list",
    "users export",
    "status",
}

#: Kept out of the fuzz, each for its reason (they are exercised by their own tests):
#: ``run`` serves until stopped; ``demo`` and ``kb eval`` take minutes on the defaults.
NOT_FUZZED = {"run", "demo", "kb eval"}


def _commands() -> dict[str, Any]:
    found: dict[str, Any] = {}

    def walk(command: Any, path: list[str]) -> None:
        subcommands = getattr(command, "commands", None)
        if subcommands:
            for name, sub in subcommands.items():
                walk(sub, [*path, name])
        else:
            found[" ".join(path)] = command

    walk(typer.main.get_command(app), [])
    return found


COMMANDS = _commands()
UNEXPECTED = [catalog().t("error.unexpected", lang, kind="").split("(")[0] for lang in ("id", "en")]


def _is_path(param: Any) -> bool:
    annotation = param.type_descriptor.annotation
    return "Path" in str(annotation)


def _path_values(name: str) -> st.SearchStrategy[str]:
    """Odd paths, all inside the test's folder (relative) except ones that cannot exist."""
    del name
    return st.one_of(
        st.sampled_from(
            [
                "good.csv",
                "hostile.csv",
                "hostile.xlsx",
                "hostile.pdf",
                "hostile.md",
                "folder",
                ".",
                "missing.csv",
                "/nonexistent/folder/x.csv",
                "out.xlsx",
                "out.csv",
                "out.txt",
                "folder/out.csv",
            ]
        ),
        ARGV_TEXT.map(lambda text: "./" + text.replace("/", "_")),
    )


def _argv(data: st.DataObject, name: str, command: Any) -> list[str]:
    argv = name.split()
    options: list[str] = []
    positionals: list[str] = []
    for param in command.params:
        if param.name in {"install_completion", "show_completion"}:
            continue
        values = _path_values(name) if _is_path(param) else ARGV_VALUE
        is_option = bool(param.opts and param.opts[0].startswith("-"))
        if not is_option:
            count = 1 if param.nargs == 1 else data.draw(st.integers(1, 3))
            if param.required or data.draw(st.booleans()):
                positionals += [data.draw(values) for _ in range(count)]
            continue
        if not (param.required or data.draw(st.booleans())):
            continue
        if getattr(param, "is_flag", False):
            options.append(param.opts[0])
        else:
            options += [param.opts[0], data.draw(values)]
    if data.draw(st.integers(0, 9)) == 0:  # now and then, something nobody declared
        options.append(data.draw(st.sampled_from(["--bogus", "-x", "--", "extra"])))
    # Values starting with "-" would read as options: pass positionals after "--" half the time.
    if positionals and data.draw(st.booleans()):
        return [*argv, *options, "--", *positionals]
    return [*argv, *options, *positionals]


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Once per run: a database holding the sample agreements and a coordinator."""
    root = tmp_path_factory.mktemp("seeded")
    with pytest.MonkeyPatch.context() as env:
        for name in list(os.environ):
            if name.startswith("SINERGI_") and not name.startswith("SINERGI_TEST_"):
                env.delenv(name)
        env.setenv("SINERGI_DATA_DIR", str(root))
        env.setenv("SINERGI_EMBEDDING_BACKEND", "fake")
        engine = make_engine(f"sqlite:///{root / 'sinergi.db'}")
        database.upgrade(engine)  # as `sinergi db upgrade` makes it
        engine.dispose()
        assert main(["mou", "import", str(SAMPLE)]) == 0
        assert main(["users", "add", "1001", "--role", "coordinator", "--region", "Kerinci"]) == 0
    return root / "sinergi.db"


@pytest.fixture
def playground(
    seeded: Path, data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """A copy of the seeded database, and a folder of odd files as the working directory."""
    shutil.copy(seeded, data_dir / "sinergi.db")
    work = tmp_path / "work"
    (work / "folder").mkdir(parents=True)
    shutil.copy(SAMPLE, work / "good.csv")
    monkeypatch.chdir(work)
    yield work


@pytest.mark.parametrize("name", sorted(set(COMMANDS) - NOT_FUZZED))
@FUZZ_SETTINGS
@given(data=st.data())
def test_every_command_survives_hostile_input(
    playground: Path, capsys: Any, name: str, data: st.DataObject
) -> None:
    for hostile in ("hostile.csv", "hostile.xlsx", "hostile.pdf", "hostile.md"):
        (playground / hostile).write_bytes(data.draw(st.binary(max_size=300), label=hostile))
    argv = _argv(data, name, COMMANDS[name])
    stdin = data.draw(st.one_of(st.sampled_from(HOSTILE), ARGV_TEXT), label="stdin")
    url = f"sqlite:///{playground.parent / 'data' / 'sinergi.db'}"
    before = snapshot(url)

    capsys.readouterr()
    saved, sys.stdin = sys.stdin, io.StringIO(stdin + "\n")
    try:
        status = main(argv)
    finally:
        sys.stdin = saved
    out, err = capsys.readouterr()

    assert status in set(ExitStatus), (argv, status, err[-2000:])
    assert "Traceback" not in out + err, err[-3000:]
    assert not any(text in err for text in UNEXPECTED), (argv, err[-2000:])
    # Refused (2 to 7): nothing written. 1 is "some of the work failed" (a bad file among good
    # ones): the good part stays, as documented.
    if name in READ_ONLY or status not in (ExitStatus.OK, ExitStatus.FAILED):
        assert changed_tables(before, snapshot(url)) == {}, (argv, status, err[-2000:])


def test_the_fuzz_covers_every_command() -> None:
    """New commands are fuzzed by default: only the three named ones are left out, with reason."""
    assert set(COMMANDS) >= NOT_FUZZED
    assert {"mou import", "users add", "chat", "kb ask"} <= set(COMMANDS) - NOT_FUZZED
