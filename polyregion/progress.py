"""Steps shown as they happen while a long command runs (`up`, `synth`, `lag`).

A rich spinner names the step in progress; each finished step is printed with its duration.
Everything goes to stderr, so a command's output on stdout stays clean to pipe; `quiet` (the
commands' `--json`) shows nothing at all, and so does a stderr that is not a terminal, apart
from the finished-step lines (useful in CI logs).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console

Step = Callable[[str], None]


@contextmanager
def steps(
    title: str,
    *,
    quiet: bool = False,
    console: Console | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> Iterator[Step]:
    """Yields `step(name)`: the previous step is finished (printed with its time), `name` runs."""
    if quiet:
        yield lambda _name: None
        return
    out = console or Console(stderr=True)
    current: list[tuple[str, float]] = []

    def finish() -> None:
        if current:
            name, started = current.pop()
            out.print(f"  [green]✓[/] {name} [dim]({clock() - started:.1f} s)[/]")

    with out.status(f"{title} ...") as status:

        def step(name: str) -> None:
            finish()
            current.append((name, clock()))
            status.update(f"{title}: {name} ...")

        try:
            yield step
        except BaseException:
            if current:
                out.print(f"  [red]✗[/] {current.pop()[0]}")
            raise
        finish()


@contextmanager
def phases(title: str, *, quiet: bool = False, console: Console | None = None) -> Iterator[Step]:
    """For work that reports finished phases (the sandbox's start events): yields
    `done(message)`, printed at once while the spinner keeps turning."""
    if quiet:
        yield lambda _message: None
        return
    out = console or Console(stderr=True)
    with out.status(f"{title} ..."):
        yield lambda message: out.print(f"  [green]✓[/] {message}")
