"""A progress bar on stderr for long reads: rich when installed, plain text otherwise."""

from __future__ import annotations

import gc
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

__all__ = ["gc_paused", "progress_bar"]


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a bulk read creates millions of objects.

    Reading a file allocates rows that live until the batch is stored; each
    allocation burst would otherwise start a collection that walks every
    live object, which made reading a million CSV rows three times slower.
    Nothing read here forms reference cycles, and the previous state is restored.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _quiet(done: int) -> None:
    """Report nothing."""


@contextmanager
def progress_bar(
    total: int, label: str, *, enabled: bool | None
) -> Iterator[Callable[[int], None]]:
    """A function to call with the amount done (bytes read) out of ``total``.

    ``enabled=None`` shows a bar only when stderr is a terminal, so logs and
    pipes get nothing. The bar comes from ``rich`` (the ``[cli]`` extra) when
    it is installed, else a line of plain text that rewrites itself.
    """
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled or total <= 0:
        yield _quiet
        return
    try:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )
    except ImportError:
        yield from _plain(total, label)
        return
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(label, total=total)

        def update(done: int) -> None:
            bar.update(task, completed=done)

        yield update


def _plain(total: int, label: str) -> Iterator[Callable[[int], None]]:
    shown = -1

    def update(done: int) -> None:
        nonlocal shown
        percent = min(100, done * 100 // total)
        if percent != shown:
            shown = percent
            sys.stderr.write(f"\r{label}: {percent:3d}%")
            sys.stderr.flush()

    try:
        yield update
    finally:
        if shown >= 0:
            sys.stderr.write("\n")
            sys.stderr.flush()
