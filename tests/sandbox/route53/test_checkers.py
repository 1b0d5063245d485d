"""The health checker state machine (fake clock and probe) and one run against real HTTP."""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Iterator

import pytest

from polyregion.sandbox.route53.checkers import (
    HealthCheckers,
    HealthCheckSpec,
    HealthFlip,
    combine,
    enough_healthy,
)
from polyregion.sandbox.route53.probe import ProbeResult, ProbeTarget, http_probe

OK = ProbeResult(True, 200, 0.01, "HTTP Status Code 200, OK")
FAIL = ProbeResult(False, 503, 0.01, "HTTP Status Code 503, Service Unavailable")
REGIONS = ("us-east-1", "us-west-2", "eu-west-1", "ap-southeast-1", "sa-east-1")


def spec(
    checkers: tuple[str, ...] = REGIONS[:4], threshold: int = 3, **kw: bool
) -> HealthCheckSpec:
    return HealthCheckSpec(
        id="hc-1",
        target=ProbeTarget("127.0.1.1", 8000, "/api/health"),
        checker_regions=checkers,
        interval_s=10,
        failure_threshold=threshold,
        region="eu-west-1",
        **kw,
    )


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_final_status_table_disabled_healthy_inverted_flips_both_unhealthy() -> None:
    assert combine(True, inverted=False, disabled=False) is True
    assert combine(False, inverted=False, disabled=False) is False
    assert combine(True, inverted=True, disabled=False) is False
    assert combine(False, inverted=True, disabled=False) is True
    assert combine(False, inverted=False, disabled=True) is True  # disabled = healthy
    assert combine(True, inverted=True, disabled=True) is False  # disabled + inverted


@pytest.mark.parametrize(
    ("healthy", "total", "expected"),
    [(1, 5, True), (1, 6, False), (1, 4, True), (0, 3, False), (2, 11, True), (2, 12, False)],
)
def test_more_than_18_percent_of_checkers(healthy: int, total: int, expected: bool) -> None:
    assert enough_healthy(healthy, total) is expected


def test_threshold_counts_consecutive_results_per_checker() -> None:
    clock = FakeClock()
    flips: list[HealthFlip] = []
    hc = HealthCheckers(
        [spec(checkers=("us-east-1",), threshold=3)], clock=clock, on_flip=flips.append
    )
    hc.record("hc-1", "us-east-1", FAIL)
    hc.record("hc-1", "us-east-1", FAIL)
    hc.record("hc-1", "us-east-1", OK)  # resets the failure streak
    hc.record("hc-1", "us-east-1", FAIL)
    hc.record("hc-1", "us-east-1", FAIL)
    assert hc.is_healthy("hc-1")
    clock.now = 1030.0
    hc.record("hc-1", "us-east-1", FAIL)
    assert not hc.is_healthy("hc-1")
    status = hc.status("hc-1")
    assert status.changed_at == 1030.0
    assert status.observations[0].consecutive_failed == 3
    assert [f.healthy for f in flips] == [False]
    assert flips[0].region == "eu-west-1"
    for _ in range(2):
        hc.record("hc-1", "us-east-1", OK)
    assert not hc.is_healthy("hc-1")  # the way back needs `threshold` successes too
    hc.record("hc-1", "us-east-1", OK)
    assert hc.is_healthy("hc-1")
    assert [f.healthy for f in flips] == [False, True]


def test_eighteen_percent_rule_across_checker_regions() -> None:
    # Six checkers: one healthy is 16.7% (unhealthy), two is 33% (healthy).
    six = (*REGIONS, "ap-northeast-1")
    hc = HealthCheckers([spec(checkers=six, threshold=1)], clock=FakeClock())
    for r in six:
        hc.record("hc-1", r, FAIL)
    assert not hc.is_healthy("hc-1")
    hc.record("hc-1", six[0], OK)
    assert hc.status("hc-1").healthy_checkers == 1
    assert not hc.is_healthy("hc-1")
    hc.record("hc-1", six[1], OK)
    assert hc.is_healthy("hc-1")


def test_disabled_stays_healthy_while_inverted_goes_unhealthy() -> None:
    flips: list[HealthFlip] = []
    hc = HealthCheckers([spec(threshold=1)], clock=FakeClock(), on_flip=flips.append)
    hc.set_flags("hc-1", disabled=True)
    for r in REGIONS[:4]:
        hc.record("hc-1", r, FAIL)
    assert hc.is_healthy("hc-1")  # probes fail, but disabled means healthy
    assert hc.status("hc-1").measured_healthy is False
    hc.set_flags("hc-1", disabled=False)
    assert not hc.is_healthy("hc-1")
    for r in REGIONS[:4]:
        hc.record("hc-1", r, OK)
    hc.set_flags("hc-1", inverted=True)
    assert not hc.is_healthy("hc-1")  # inverted: a healthy endpoint counts as unhealthy
    hc.set_flags("hc-1", disabled=True)
    assert not hc.is_healthy("hc-1")  # disabled + inverted: unhealthy
    assert [f.healthy for f in flips] == [False, True, False]
    assert "inverted" in flips[-1].reason


def test_checkers_are_staggered_and_keep_their_interval() -> None:
    clock = FakeClock()
    probed: list[ProbeTarget] = []

    def probe(target: ProbeTarget, connect: float, response: float) -> ProbeResult:
        probed.append(target)
        return OK

    hc = HealthCheckers([spec()], clock=clock, probe=probe)
    seen = []
    for t in range(0, 21):
        clock.now = 1000.0 + t * 0.5
        if hc.run_due() == 1:
            seen.append(clock.now)
    # 4 checkers over a 10 s interval: one every 2.5 s, each again 10 s later.
    assert seen == [1000.0, 1002.5, 1005.0, 1007.5, 1010.0]
    assert len(probed) == 5 and probed[0].path == "/api/health"


def test_configure_adds_removes_and_keeps_observations() -> None:
    hc = HealthCheckers([spec(threshold=1)], clock=FakeClock())
    for r in REGIONS[:4]:
        hc.record("hc-1", r, FAIL)
    hc.configure([spec(threshold=1, inverted=True)])
    assert hc.is_healthy("hc-1")  # failing probes remembered, now inverted
    hc.configure([])
    assert hc.ids() == []
    assert hc.is_healthy("hc-1")  # unknown checks count as healthy


# -- functional: real HTTP servers on loopback ------------------------------------------
class _Handler(http.server.BaseHTTPRequestHandler):
    status = 200

    def do_GET(self) -> None:
        self.send_response(type(self).status)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def origin() -> Iterator[tuple[http.server.ThreadingHTTPServer, type[_Handler]]]:
    handler = type("H", (_Handler,), {"status": 200})
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        yield srv, handler
    finally:
        srv.shutdown()
        srv.server_close()


def test_http_probe_statuses_and_refusals(
    origin: tuple[http.server.ThreadingHTTPServer, type[_Handler]],
) -> None:
    srv, handler = origin
    port = srv.server_address[1]
    assert http_probe(ProbeTarget("127.0.0.1", port, "/api/health"), 1, 1).ok
    handler.status = 302
    assert http_probe(ProbeTarget("127.0.0.1", port, "/"), 1, 1).ok  # 3xx counts as healthy
    handler.status = 500
    res = http_probe(ProbeTarget("127.0.0.1", port, "/"), 1, 1)
    assert (res.ok, res.status_code, res.report) == (
        False,
        500,
        "Failure: HTTP Status Code 500, Internal Server Error",
    )
    srv_closed = http_probe(ProbeTarget("127.0.0.1", 1, "/"), 1, 1)
    assert not srv_closed.ok and "refused" in srv_closed.detail.lower()
    assert not http_probe(ProbeTarget("192.0.2.1", 80, "/"), 1, 1).ok  # never leaves loopback
    handler.status = 500  # a TCP check only needs the connection
    tcp = http_probe(ProbeTarget("127.0.0.1", port, "/", kind="TCP"), 1, 1)
    assert (tcp.ok, tcp.report) == (True, "Success: TCP connection established")
    assert not http_probe(ProbeTarget("127.0.0.1", 1, "/", kind="TCP"), 1, 1).ok


def test_http_probe_times_out_a_silent_endpoint() -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()  # accepts the TCP connection, never answers
        started = time.perf_counter()
        res = http_probe(ProbeTarget("127.0.0.1", s.getsockname()[1], "/"), 0.5, 0.3)
        assert not res.ok and "timed out" in res.detail
        assert time.perf_counter() - started < 2


@pytest.mark.functional
def test_threaded_checkers_follow_a_real_origin(
    origin: tuple[http.server.ThreadingHTTPServer, type[_Handler]],
) -> None:
    srv, handler = origin
    flips: list[HealthFlip] = []
    check = HealthCheckSpec(
        id="hc-real",
        target=ProbeTarget("127.0.0.1", srv.server_address[1], "/api/health"),
        checker_regions=REGIONS[:3],
        interval_s=0.2,
        failure_threshold=2,
    )
    hc = HealthCheckers(
        [check], connect_timeout_s=0.5, response_timeout_s=0.5, on_flip=flips.append
    )
    hc.start()
    try:
        # Healthy because every checker really probed a 200, not because new checks start healthy.
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not all(
            o.last is not None and o.last.status_code == 200
            for o in hc.status("hc-real").observations
        ):
            time.sleep(0.05)
        assert all(o.last and o.last.status_code == 200 for o in hc.status("hc-real").observations)
        assert hc.is_healthy("hc-real")
        handler.status = 503
        deadline = time.monotonic() + 5
        while hc.is_healthy("hc-real") and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not hc.is_healthy("hc-real")
        obs = hc.status("hc-real").observations
        assert {o.checker_region for o in obs} == set(REGIONS[:3])
        assert all(o.last is not None and o.last.status_code == 503 for o in obs if not o.healthy)
        handler.status = 200
        deadline = time.monotonic() + 5
        while not hc.is_healthy("hc-real") and time.monotonic() < deadline:
            time.sleep(0.05)
        assert hc.is_healthy("hc-real")
        assert [f.healthy for f in flips] == [False, True]
    finally:
        hc.stop()
