from __future__ import annotations

import random
from pathlib import Path

import pytest

from polyregion.errors import ConfigError
from polyregion.replication.settings import LagModel, ReplicatorSettings
from polyregion.topology import from_dict

TOPO = from_dict({"sandbox": {"replication_jitter_ms": 10}})


def test_default_delay_comes_from_the_latency_model() -> None:
    lag = LagModel.from_topology(TOPO)
    transatlantic = lag.delays_ms[("us-east-1", "eu-west-1")]
    assert 40 < transatlantic < 200  # tens of ms, as between these regions
    assert lag.delays_ms[("eu-west-1", "us-east-1")] == transatlantic
    rng = random.Random(1)
    assert all(
        transatlantic <= lag.delay_ms("us-east-1", "eu-west-1", rng) <= transatlantic + 10
        for _ in range(50)
    )


def test_overrides_and_zero_for_tests() -> None:
    lag = LagModel.from_topology(TOPO, delay_ms=0, jitter_ms=0)
    assert set(lag.delays_ms.values()) == {0} and lag.jitter_ms == 0
    with pytest.raises(ConfigError):
        LagModel.from_topology(TOPO, delay_ms=-1)


def test_endpoints_must_cover_every_region_and_be_loopback(tmp_path: Path) -> None:
    lag = LagModel.from_topology(TOPO, delay_ms=0)
    ok = {"us-east-1": "http://127.0.0.1:1", "eu-west-1": "http://127.0.2.1:2"}
    ReplicatorSettings(topology=TOPO, endpoints=ok, state_dir=tmp_path, lag=lag)
    with pytest.raises(ConfigError, match="missing"):
        ReplicatorSettings(
            topology=TOPO, endpoints={"us-east-1": ok["us-east-1"]}, state_dir=tmp_path, lag=lag
        )
    with pytest.raises(ConfigError, match="loopback"):
        bad = {**ok, "eu-west-1": "https://dynamodb.eu-west-1.amazonaws.com"}
        ReplicatorSettings(topology=TOPO, endpoints=bad, state_dir=tmp_path, lag=lag)


def test_loopback_means_a_loopback_address_not_a_name_starting_with_127(tmp_path: Path) -> None:
    lag = LagModel.from_topology(TOPO, delay_ms=0)
    ok = {"us-east-1": "http://127.0.0.1:1", "eu-west-1": "http://localhost:2"}
    ReplicatorSettings(topology=TOPO, endpoints=ok, state_dir=tmp_path, lag=lag)
    for lookalike in ("http://127.attacker.example:2", "http://127.0.0.1.nip.io:2"):
        with pytest.raises(ConfigError, match="loopback"):
            bad = {**ok, "eu-west-1": lookalike}
            ReplicatorSettings(topology=TOPO, endpoints=bad, state_dir=tmp_path, lag=lag)
    with pytest.raises(ConfigError, match="loopback"):
        ReplicatorSettings(
            topology=TOPO, endpoints=ok, state_dir=tmp_path, lag=lag, control_host="127.evil.test"
        )
