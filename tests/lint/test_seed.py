"""The seed article's design (docs/seed-defects.md), written as templates in tests/lint/seed/:
`polyregion lint` finds its multi-region mistakes, each on the resource that makes it."""

from __future__ import annotations

from pathlib import Path

from polyregion.lint import lint_paths

SEED = Path(__file__).parent / "seed"
REGIONS = {
    "regional-us": "us-east-1",
    "regional-eu": "eu-west-1",
    "dns": "us-east-1",
    "data": "us-east-1",
}


def test_the_seed_design_is_caught() -> None:
    result = lint_paths(sorted(SEED.iterdir()), regions=REGIONS)
    found = {(f.rule, f.stack, f.resource) for f in result.findings}
    assert found == {
        # seed defect 1: per-region distributions behind latency records for one name,
        # which the distributions do not even list
        ("EDGE3", "dns", "PrimaryLatency"),
        ("EDGE3", "dns", "SecondaryLatency"),
        ("EDGE2", "dns", "PrimaryLatency"),
        # seed defect 3: CachingOptimized, no origin request policy, on the SSR function
        ("EDGE4", "regional-us", "Distribution"),
        ("EDGE4", "regional-eu", "Distribution"),
        # seed defect 4: public function URL as the origin
        ("ORIGIN1", "regional-us", "Distribution"),
        ("ORIGIN1", "regional-eu", "Distribution"),
        # seed defect 11: the us-east-1 DNS stack imports an eu-west-1 export
        ("PLUMB1", "dns", "SecondaryLatency"),
        # seed defect 6: "cross-region" replication inside one stack
        ("DATA1", "data", "PrimaryBucket"),
        # TableV2's replica in ap-southeast-1, where nothing runs (cost only)
        ("DATA6", "data", "Posts"),
        # seed defect 2: the drill disables the health check
        ("DRILL1", "", "line 6"),
    }
    assert result.errors == 10 and result.warnings == 1
