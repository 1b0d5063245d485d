from __future__ import annotations

from polyregion.cost import scenario as sc
from polyregion.cost.model import estimate
from polyregion.cost.prices import load_prices
from polyregion.cost.resources import RULES, NoCharge, Priced
from polyregion.topology import from_dict


def test_every_priced_rule_names_line_items_the_model_has() -> None:
    names = {i.name for i in estimate(sc.from_topology(from_dict({})), load_prices()).items}
    for kind, rule in RULES.items():
        if isinstance(rule, Priced):
            assert rule.items and set(rule.items) <= names, kind
        else:
            assert isinstance(rule, NoCharge) and rule.reason, kind
