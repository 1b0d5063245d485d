"""The cost model against what synth produced: every resource type is priced or known free,
and the secrets it bills are the secrets the templates create."""

from __future__ import annotations

import pytest

from polyregion.cost import scenario as sc
from polyregion.cost.model import estimate
from polyregion.cost.prices import load_prices
from polyregion.cost.resources import rule_for
from tests.infra.conftest import Synth

pytestmark = pytest.mark.infra


def test_every_resource_type_in_the_templates_has_a_price_rule(two: Synth, three: Synth) -> None:
    kinds = {
        r["Type"]
        for s in (two, three)
        for t in s.templates.values()
        for r in t.get("Resources", {}).values()
    }
    assert sorted(k for k in kinds if rule_for(k) is None) == []


def test_the_model_bills_the_secrets_and_replicas_the_templates_create(
    two: Synth, three: Synth
) -> None:
    for s in (two, three):
        secrets = [r for _, r in s.resources("AWS::SecretsManager::Secret")]
        replicas = sum(len(r["Properties"].get("ReplicaRegions", [])) for r in secrets)
        est = estimate(sc.from_topology(s.topology), load_prices())
        assert est.item("Secrets Manager secret").quantity == len(secrets)
        billed = sum(t.quantity for t in est.item("Secrets Manager replicas").terms)
        assert billed == replicas
