from __future__ import annotations

import socket
from pathlib import Path

import pytest

from polyregion.errors import ConfigError, SandboxError
from polyregion.sandbox.plan import Binding, plan
from polyregion.sandbox.ports import check_free
from polyregion.sandbox.rundir import RunDir
from polyregion.topology import from_dict


def test_default_addresses() -> None:
    p = plan(from_dict({}))
    assert [(r.name, r.origin_url, r.aws_endpoint) for r in p.regions] == [
        ("us-east-1", "http://127.0.1.1:8000", "http://127.0.1.1:8001"),
        ("eu-west-1", "http://127.0.2.1:8000", "http://127.0.2.1:8001"),
    ]
    assert [(loc.name, loc.entry_url, loc.nearest[0]) for loc in p.locations] == [
        ("new-york", "http://127.1.1.1:8000/", "us-east-1"),
        ("paris", "http://127.1.2.1:8000/", "eu-west-1"),
    ]
    assert p.control_url == "http://127.0.0.1:7600"
    assert p.route53_endpoint == "http://127.0.0.1:8002"
    assert (p.dns_host, p.dns_port) == ("127.0.0.1", 5353)
    hosts = {b.host for b in p.bindings()}
    assert all(h.startswith("127.") for h in hosts)  # loopback only, always
    assert len({(b.host, b.port, b.udp) for b in p.bindings()}) == len(p.bindings())


def test_loopback_prefix_moves_regions_and_edges() -> None:
    p = plan(from_dict({"sandbox": {"loopback_prefix": "127.40", "base_port": 9000}}))
    assert p.regions[1].ip == "127.40.2.1" and p.locations[0].ip == "127.41.1.1"
    with pytest.raises(ConfigError, match=r"sandbox.loopback_prefix"):
        plan(from_dict({"sandbox": {"loopback_prefix": "127.255"}}))


def test_busy_port_names_address_and_key() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(SandboxError, match=rf"127.0.0.1:{port}/tcp .*sandbox.control_port"):
            check_free(
                [Binding("127.0.0.1", port, "control API", "sandbox.control_port")], source="x.toml"
            )


def test_run_dir_lock_is_exclusive(tmp_path: Path) -> None:
    first, second = RunDir(tmp_path / "a"), RunDir(tmp_path / "a")
    first.acquire("http://127.0.0.1:1")
    try:
        assert second.running_pid() is not None
        with pytest.raises(SandboxError, match="already running"):
            second.acquire("http://127.0.0.1:1")
    finally:
        first.release()
    assert second.running_pid() is None
