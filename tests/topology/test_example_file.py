from __future__ import annotations

from pathlib import Path

from polyregion.topology import from_dict, load

EXAMPLE = Path(__file__).resolve().parents[2] / "polyregion.example.toml"


def test_example_file_is_valid_and_equals_the_defaults() -> None:
    example = load(EXAMPLE)
    defaults = from_dict({})
    assert example.regions == defaults.regions
    assert example.tables == defaults.tables
    assert example.buckets == defaults.buckets
    assert example.drill == defaults.drill
    assert example.deprecations == ()
    assert example.locations == defaults.locations
    assert example.health == defaults.health
    assert example.origin == defaults.origin
    assert example.session == defaults.session
    assert example.traffic == defaults.traffic
