"""Progress display of long commands: steps as they happen, on stderr, nothing when quiet."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from polyregion.progress import phases, steps


def recording() -> tuple[Console, io.StringIO]:
    buffer = io.StringIO()
    return Console(file=buffer, force_terminal=False, width=100), buffer


def test_each_finished_step_is_printed_with_its_duration() -> None:
    console, out = recording()
    now = [0.0]
    with steps("synth", console=console, clock=lambda: now[0]) as step:
        step("loading the topology")
        now[0] = 0.4
        step("building the stacks")
        now[0] = 2.0
    lines = out.getvalue().splitlines()
    assert lines == ["  ✓ loading the topology (0.4 s)", "  ✓ building the stacks (1.6 s)"]


def test_a_failed_step_is_marked_and_the_error_goes_on() -> None:
    console, out = recording()
    with pytest.raises(RuntimeError), steps("lag", console=console) as step:
        step("items: 20 markers per region pair")
        raise RuntimeError("sandbox down")
    assert out.getvalue().splitlines() == ["  ✗ items: 20 markers per region pair"]


def test_quiet_prints_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    with steps("lag", quiet=True) as step:
        step("anything")
    with phases("up", quiet=True) as done:
        done("AWS endpoints listening (2.1 s)")
    assert capsys.readouterr() == ("", "")


def test_phases_print_what_finished() -> None:
    console, out = recording()
    with phases("starting", console=console) as done:
        done("AWS endpoints listening (2.1 s)")
    assert out.getvalue().splitlines() == ["  ✓ AWS endpoints listening (2.1 s)"]
