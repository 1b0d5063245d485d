"""An in-memory Target for unit tests: health checks, TTL-cached DNS and replication on a fake
clock, so the engine's logic and numbers can be checked exactly and in milliseconds.

The end-to-end tests (test_sandbox_target.py) run the same engine against the real sandbox.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from polyregion.ops.model import Action, FaultPlan, Observation, Op, Sample
from polyregion.ops.result import DrillResult
from polyregion.ops.scenarios import Fault, FaultKind, Timing


@dataclass
class Clock:
    now: float = 1_000.0
    on_sleep: Callable[[float], None] | None = None

    def __call__(self) -> float:
        return self.now

    def sleep(self, dt: float) -> None:
        self.now += dt
        if self.on_sleep:
            self.on_sleep(self.now)


@dataclass
class FakeTarget:
    clock: Clock
    prefs: Mapping[str, tuple[str, ...]] = field(
        default_factory=lambda: {
            "new-york": ("us-east-1", "eu-west-1"),
            "paris": ("eu-west-1", "us-east-1"),
        }
    )
    interval_s: float = 1.0
    threshold: int = 2
    ttl_s: float = 1.0
    replication_delay_s: float = 0.2
    fail_execute: str | None = None  # action name whose execution raises
    lose_on_kill: bool = False  # the victim's unreplicated writes die with it
    name: str = "fake"
    writes: bool = True  # False: a topology without [drill.write]
    action_s: float = 0.0  # how long each fault/rollback action takes (on the fake clock)
    executed: list[str] = field(default_factory=list)
    events: list[tuple[str, str]] = field(default_factory=list)
    dead: set[str] = field(default_factory=set)
    inverted: set[str] = field(default_factory=set)
    failing_since: dict[str, float] = field(default_factory=dict)
    partitioned: bool = False
    replicas: dict[str, set[str]] = field(default_factory=dict)
    pending: list[tuple[float, str, str, str]] = field(default_factory=list)  # due, src, dst, key
    dns_cache: dict[str, tuple[str, float]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for r in self.regions:
            self.replicas.setdefault(r, set())

    @property
    def regions(self) -> tuple[str, ...]:
        return ("us-east-1", "eu-west-1")

    @property
    def locations(self) -> tuple[str, ...]:
        return tuple(self.prefs)

    def timing(self) -> Timing:
        return Timing(self.interval_s, self.threshold, self.ttl_s, probe_timeout_s=0.0)

    # -- plan / execute --------------------------------------------------------------------
    def plan_fault(self, fault: Fault) -> FaultPlan:
        args: dict[str, Any] = {"region": fault.region, "peer": fault.peer}
        inject = Action(f"fake.{fault.kind}", args, f"fake {fault.kind} {fault.region}")
        undo = {
            FaultKind.KILL: "revive",
            FaultKind.INVERT: "uninvert",
            FaultKind.DEPENDENCY: "revive",
            FaultKind.PARTITION: "heal",
        }[fault.kind]
        return FaultPlan((inject,), (Action(f"fake.{undo}", args, f"fake {undo} {fault.region}"),))

    def execute(self, action: Action) -> Any:
        self.executed.append(action.name)
        self.clock.now += self.action_s
        if action.name == self.fail_execute:
            raise RuntimeError(f"{action.name} failed")
        region = action.args["region"]
        now = self.clock.now
        if action.name in {"fake.kill", "fake.dependency"}:
            self.dead.add(region)
            self.failing_since[region] = now
            if self.lose_on_kill:
                self.pending = [p for p in self.pending if p[1] != region]
        elif action.name == "fake.invert":
            self.inverted.add(region)
            self.failing_since[region] = now - self.interval_s * (self.threshold - 1)
        elif action.name == "fake.partition":
            self.partitioned = True
        elif action.name in {"fake.revive", "fake.uninvert"}:
            self.dead.discard(region)
            self.inverted.discard(region)
            self.failing_since.pop(region, None)
        elif action.name == "fake.heal":
            self.partitioned = False
        return None

    # -- the simulated world ---------------------------------------------------------------
    def healthy(self, region: str) -> bool:
        since = self.failing_since.get(region)
        return since is None or self.clock.now < since + self.interval_s * self.threshold

    def answer(self, location: str) -> str:
        prefs = self.prefs[location]
        return next((r for r in prefs if self.healthy(r)), prefs[0])  # fail open

    def cached(self, location: str) -> str:
        hit = self.dns_cache.get(location)
        if hit is None or hit[1] <= self.clock.now:
            hit = (self.answer(location), self.clock.now + self.ttl_s)
            self.dns_cache[location] = hit
        return hit[0]

    def replicate(self) -> None:
        if self.partitioned:
            return
        due = [p for p in self.pending if p[0] <= self.clock.now]
        self.pending = [p for p in self.pending if p[0] > self.clock.now]
        for _, _src, dst, key in due:
            self.replicas[dst].add(key)

    # -- Target ----------------------------------------------------------------------------
    def prepare(self, run_id: str) -> None:
        self.events.append(("prepare", run_id))

    def request(self, location: str, op: Op, seq: int, key: str) -> Sample:
        self.replicate()
        region = self.cached(location)
        ok = region not in self.dead
        if ok and op == "write":
            self.replicas[region].add(key)
            for other in self.regions:
                if other != region:
                    self.pending.append(
                        (self.clock.now + self.replication_delay_s, region, other, key)
                    )
        return Sample(
            t=self.clock.now,
            location=location,
            op=op,
            ok=ok,
            latency_s=0.0,
            status=200 if ok else 502,
            region=region if ok else None,
            seq=seq if op == "write" else None,
            key=key if op == "write" else None,
        )

    def observe(self) -> Observation:
        return Observation(
            self.clock.now,
            {r: self.healthy(r) for r in self.regions},
            {loc: self.answer(loc) for loc in self.locations},
        )

    def replicas_holding(
        self, keys: Iterable[str], regions: Iterable[str]
    ) -> Mapping[str, set[str]]:
        self.replicate()
        wanted = set(keys)
        return {r: self.replicas[r] & wanted for r in regions}

    def post_event(self, kind: str, detail: str, region: str | None = None) -> None:
        self.events.append((kind, detail))

    def close(self) -> None:
        pass


def region_outage_run() -> DrillResult:
    """A whole region-outage drill (us-east-1 killed) against a FakeTarget: a DrillResult."""
    from polyregion.ops.engine import Drill, plan_drill
    from polyregion.ops.scenarios import SCENARIOS
    from polyregion.ops.settings import DrillSettings
    from polyregion.ops.slo import Gates

    target = FakeTarget(Clock())
    settings = DrillSettings(tick_s=0.1, steady_s=1, window_s=1, observe_timeout_s=20, hold_s=2)
    plan = plan_drill(
        target,
        SCENARIOS["region-outage"],
        Fault(FaultKind.KILL, "us-east-1"),
        Gates(max_rto_s=30, max_lost_writes=0),
        settings,
    )
    return Drill(target, plan, clock=target.clock, sleep=target.clock.sleep).run()
