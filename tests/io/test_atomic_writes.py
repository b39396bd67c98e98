"""Every writer replaces its target whole or not at all (issue 12: nothing lost).

A full disk is simulated by making ``os.write`` fail with ``ENOSPC`` part-way:
every byte the library writes goes through it, whichever library drives the
file (csv, zipfile under openpyxl, pyarrow). The previous file must come out
byte for byte as it was, the error must name the target, and no temporary
file may be left behind. A child process killed with ``SIGKILL`` in the
middle of a large dump must leave either the old file or the whole new one.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from antq_core import Dataset, bundled_crosswalk
from antq_core._cli import main
from antq_core.errors import ExportError
from antq_core.io.frames import write_parquet
from antq_core.io.tabular import export_tabular, write_template


class _DiskFull:
    """``os.write`` that lets ``allow`` bytes through, then fails as a full disk does."""

    def __init__(self, allow: int) -> None:
        self.allow = allow
        self.real = os.write
        self.failed = False

    def __call__(self, fd: int, data: bytes | memoryview) -> int:
        if self.allow <= 0:
            self.failed = True
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        n = self.real(fd, bytes(data)[: self.allow])
        self.allow -= n
        return n


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _fill_disk(monkeypatch: pytest.MonkeyPatch, allow: int) -> _DiskFull:
    full = _DiskFull(allow)
    monkeypatch.setattr(os, "write", full)
    return full


Writer = Callable[[Dataset, Path], object]

WRITERS: dict[str, tuple[str, Writer]] = {
    "dump": ("d.json", lambda ds, p: ds.dump(p)),
    "xlsx": ("book.xlsx", lambda ds, p: export_tabular(ds, p, "xlsx")),
    "template": ("t.xlsx", lambda ds, p: write_template(p)),
    "parquet": ("o.parquet", write_parquet),
    "gazetteer": ("g.json", lambda ds, p: ds.gazetteer.dump(p)),
    "crosswalk": ("c.json", lambda ds, p: bundled_crosswalk().dump(p)),
}


@pytest.mark.parametrize("writer", sorted(WRITERS))
@pytest.mark.parametrize("allow", [0, 5000])
def test_a_full_disk_leaves_the_previous_file_intact(
    writer: str, allow: int, lai_chau: Dataset, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    name, write = WRITERS[writer]
    target = tmp_path / name
    write(lai_chau, target)  # a good previous file
    before = _snapshot(tmp_path)
    full = _fill_disk(monkeypatch, allow)
    with pytest.raises(ExportError) as info:
        write(lai_chau, target)
    monkeypatch.undo()
    assert full.failed
    assert info.value.target == str(target)
    assert str(target) in str(info.value)
    assert "No space left on device" in str(info.value)
    assert _snapshot(tmp_path) == before  # old file byte-identical, no temporary left


@pytest.mark.parametrize("writer", sorted(WRITERS))
def test_a_new_file_appears_only_whole(writer: str, lai_chau: Dataset, tmp_path: Path) -> None:
    name, write = WRITERS[writer]
    target = tmp_path / name
    write(lai_chau, target)
    first = target.read_bytes()
    target.chmod(0o640)
    write(lai_chau, target)
    assert (target.stat().st_mode & 0o777) == 0o640  # the replacement keeps the permissions
    assert [p.name for p in tmp_path.iterdir()] == [name]
    if writer in ("dump", "gazetteer", "crosswalk"):
        assert target.read_bytes() == first


def test_a_failed_first_write_leaves_nothing(
    lai_chau: Dataset, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fill_disk(monkeypatch, 100)
    with pytest.raises(ExportError):
        lai_chau.dump(tmp_path / "d.json")
    assert list(tmp_path.iterdir()) == []


def test_dump_through_a_symbolic_link_keeps_the_link(lai_chau: Dataset, tmp_path: Path) -> None:
    real = tmp_path / "real.json"
    real.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    lai_chau.dump(link)
    assert link.is_symlink()
    assert Dataset.load(real) == lai_chau


def test_an_unwritable_place_is_an_export_error_naming_it(
    lai_chau: Dataset, tmp_path: Path
) -> None:
    target = tmp_path / "no" / "such" / "d.json"
    with pytest.raises(ExportError) as info:
        lai_chau.dump(target)
    assert info.value.target == str(target)


# -- a folder of CSV files -------------------------------------------------------------


@pytest.mark.parametrize("allow", [0, 3000, 9000])
def test_a_csv_export_failing_half_way_leaves_the_old_folder_whole(
    allow: int, lai_chau: Dataset, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "csv"
    export_tabular(lai_chau, target, "csv", lang="en")
    before = _snapshot(tmp_path)
    full = _fill_disk(monkeypatch, allow)
    with pytest.raises(ExportError) as info:
        export_tabular(lai_chau, target, "csv", lang="vi")
    monkeypatch.undo()
    assert full.failed
    assert info.value.target == str(target)
    assert _snapshot(tmp_path) == before  # no mix of old and new, no temporary folder


def test_a_csv_export_replaces_the_previous_one_whole(lai_chau: Dataset, tmp_path: Path) -> None:
    target = tmp_path / "csv"
    export_tabular(lai_chau, target, "csv", lang="en")
    export_tabular(lai_chau, target, "csv", lang="vi")
    fresh = tmp_path / "fresh"
    export_tabular(lai_chau, fresh, "csv", lang="vi")
    assert _snapshot(target) == _snapshot(fresh)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["csv", "fresh"]


def test_a_csv_export_never_replaces_a_folder_of_other_files(
    lai_chau: Dataset, tmp_path: Path
) -> None:
    target = tmp_path / "mine"
    target.mkdir()
    (target / "thesis.docx").write_bytes(b"precious")
    with pytest.raises(ExportError) as info:
        export_tabular(lai_chau, target, "csv")
    assert "thesis.docx" in str(info.value)
    assert _snapshot(target) == {"thesis.docx": b"precious"}
    empty = tmp_path / "empty"
    empty.mkdir()
    export_tabular(lai_chau, empty, "csv")  # an empty folder is fine
    assert (empty / "observations.csv").is_file()


def test_a_csv_export_onto_a_file_is_refused(lai_chau: Dataset, tmp_path: Path) -> None:
    target = tmp_path / "x"
    target.write_text("a file")
    with pytest.raises(ExportError, match="not a directory"):
        export_tabular(lai_chau, target, "csv")


# -- the command line ------------------------------------------------------------------


def test_cli_import_out_on_a_full_disk_keeps_the_old_file(
    lai_chau: Dataset,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    export_tabular(lai_chau, tmp_path / "csv", "csv")
    out = tmp_path / "d.json"
    out.write_text("the good old file")
    _fill_disk(monkeypatch, 4096)
    assert main(["import", str(tmp_path / "csv"), "--out", str(out)]) == 2
    monkeypatch.undo()
    err = capsys.readouterr().err
    assert f"cannot write {out}" in err
    assert "Traceback" not in err
    assert out.read_text() == "the good old file"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["csv", "d.json"]


def test_cli_schema_out_on_a_full_disk_changes_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "schemas"
    assert main(["schema", "--out", str(out)]) == 0
    capsys.readouterr()
    (out / "notes.txt").write_text("kept")
    before = _snapshot(out)
    _fill_disk(monkeypatch, 20_000)
    assert main(["schema", "--out", str(out)]) == 2
    monkeypatch.undo()
    err = capsys.readouterr().err
    assert "cannot write the schemas" in err
    assert "No space left on device" in err
    assert _snapshot(out) == before


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_cli_export_to_an_unwritable_path_prints_one_message(fmt: str, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    out = blocker / "x.xlsx"  # a path under a file: never writable
    done = subprocess.run(  # noqa: S603 - our own command, a fixed argument list
        [sys.executable, "-m", "antq_core._cli", "export", "--format", fmt, "--out", str(out)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 2
    assert done.stderr.startswith(f"antq: cannot write {out}")
    assert "Exception ignored" not in done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1


# -- killed in the middle --------------------------------------------------------------

_CHILD = """
import os, sys, time
from antq_core import Dataset, sample

target, mode = sys.argv[1], sys.argv[2]
doc = sample().to_dict(include_sensitive=True)
first = doc["observations"][0]
doc["observations"] = [dict(first, value=i, note="n" * 1000) for i in range(10_000)]
dataset = Dataset.from_dict(doc)  # a dump of some 11 MB
if mode == "slow":
    real = os.write
    def slow(fd, data):
        n = real(fd, data[: 1 << 16])
        open(target + ".started", "w").close()
        time.sleep(0.01)
        return n
    os.write = slow
print("ready", flush=True)
dataset.dump(target)
"""


def _child(target: Path, mode: str) -> subprocess.Popen[str]:
    process = subprocess.Popen(  # noqa: S603 - our own script, fixed arguments
        [sys.executable, "-c", _CHILD, str(target), mode],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    assert process.stdout.readline() == "ready\n"
    return process


def _kill(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=60)
    assert process.stdout is not None
    process.stdout.close()


def _wait_for(condition: Callable[[], bool], timeout: float = 60) -> None:
    end = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < end, "the child never got there"
        time.sleep(0.005)


def test_a_dump_killed_mid_write_leaves_the_old_file(lai_chau: Dataset, tmp_path: Path) -> None:
    target = tmp_path / "d.json"
    lai_chau.dump(target)
    old = target.read_bytes()
    process = _child(target, "slow")
    _wait_for(Path(str(target) + ".started").exists)
    time.sleep(0.05)  # well inside the 11 MB, written 64 KiB at a time
    _kill(process)
    assert target.read_bytes() == old
    left = sorted(p.name for p in tmp_path.iterdir())
    assert [n for n in left if n.endswith(".tmp")]  # the write had begun, beside the target


@pytest.mark.parametrize("delay", [0.0, 0.01, 0.05])
def test_a_dump_killed_at_any_moment_is_old_or_whole(
    delay: float, lai_chau: Dataset, tmp_path: Path
) -> None:
    target = tmp_path / "d.json"
    lai_chau.dump(target)
    old = target.read_bytes()
    process = _child(target, "fast")
    _wait_for(lambda: any(p.suffix == ".tmp" for p in tmp_path.iterdir()) or process.poll() == 0)
    time.sleep(delay)
    _kill(process)
    data = target.read_bytes()
    if data != old:
        document = json.loads(data)  # never partial: the complete new dump
        assert len(document["observations"]) == 10_000
