"""Turn the control API's status JSON into the page's view model (what each panel draws).

The browser only renders: projection, health verdicts, route colours and event wording are
decided here, where they are typed and unit-tested. Parsing is lenient on purpose: a section
the sandbox does not fill yet (replication before the replicator runs, coordinates of a region
outside the built-in list) degrades that panel, never the whole page.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Final, TypeGuard

from polyregion.dashboard import geo
from polyregion.dashboard.history import LagHistory, parse_replication
from polyregion.sandbox.faults import DEPENDENCIES, MODES
from polyregion.topology.failover import FORMULA, FailoverBound
from polyregion.topology.regions import REGION_COORDINATES

HEALTHY_WORDS: Final = frozenset({"healthy", "ok", "up", "pass", "passing", "success", "true"})
UNHEALTHY_WORDS: Final = frozenset(
    {"unhealthy", "down", "fail", "failed", "failing", "failure", "dead", "false", "timeout"}
)
MAX_EVENTS: Final = 200


def build_view(
    status: Mapping[str, Any] | None,
    *,
    events: Sequence[Mapping[str, Any]],
    history: LagHistory,
    control_url: str,
    error: str | None = None,
    updated_at: float | None = None,
    coordinates: Mapping[str, tuple[float, float]] | None = None,
) -> dict[str, Any]:
    """The page's model. `coordinates` (name -> (lat, lon)) places what the status does not."""
    status = status or {}
    places = {**REGION_COORDINATES, **(coordinates or {})}
    regions = [_region(r, places) for r in _rows(status.get("regions"))]
    region_state = {r["name"]: r["state"] for r in regions}
    locations = [_location(loc, region_state, places) for loc in _rows(status.get("locations"))]
    located = [x for x in regions + locations if x["lat"] is not None]
    vp = geo.fit((x["lat"], x["lon"]) for x in located)
    for item in regions + locations:
        item["x"], item["y"] = (
            vp.project(item["lat"], item["lon"]) if item["lat"] is not None else (None, None)
        )
    dns = _mapping(status.get("dns"))
    return {
        "connected": error is None and bool(status),
        "error": error,
        "control_url": control_url,
        "updated_at": updated_at,
        "profile": _profile(status.get("profile")),
        "app_hostname": _text(status.get("app_hostname")),
        "origin_hostname": _text(status.get("origin_hostname")),
        "route53_endpoint": _text(status.get("route53_endpoint")),
        "dns": {"host": _text(dns.get("host")), "port": dns.get("port")},
        "map": {
            "width": vp.width,
            "height": vp.height,
            "land": geo.outline_paths(vp),
            "graticule": geo.graticule(vp),
        },
        "regions": regions,
        "checkers": sorted({c["checker"] for r in regions for c in r["checkers"]}),
        "locations": locations,
        "replication": _replication(status.get("replication"), history),
        "processes": [_process(p) for p in _rows(status.get("children"))],
        "lag_window_s": history.window_s,
        "events": [_event(e) for e in events][-MAX_EVENTS:][::-1],
        "controls": {
            "regions": [r["name"] for r in regions],
            "dependencies": list(DEPENDENCIES),
            "modes": list(MODES),
        },
    }


def _process(raw: Mapping[str, Any]) -> dict[str, Any]:
    """A supervised child (the status JSON's `children`): pid, state, restart count."""
    pid, restarts = raw.get("pid"), raw.get("restarts")
    return {
        "name": _text(raw.get("name")),
        "pid": pid if isinstance(pid, int) else None,
        "alive": raw.get("alive") is True,
        "held": raw.get("held") is True,
        "restarts": restarts if isinstance(restarts, int) else 0,
    }


# -- regions -----------------------------------------------------------------------------
def _region(raw: Mapping[str, Any], places: Mapping[str, tuple[float, float]]) -> dict[str, Any]:
    name = _text(raw.get("name"))
    health = raw.get("health")
    overall, checkers = parse_health(health)
    alive = raw.get("alive")
    faults = parse_faults(raw.get("faults"))
    if alive is False:
        state = "down"
    elif overall == "unhealthy":
        state = "unhealthy"
    elif faults and overall == "healthy":
        state = "degraded"  # a slow dependency that has not (yet) failed the health check
    else:
        state = overall
    lat, lon = _coordinates(raw, places.get(name))
    return {
        "name": name,
        "role": _text(raw.get("role")),
        "state": state,
        "health": overall,
        "alive": alive if isinstance(alive, bool) else None,
        "checkers": checkers,
        "faults": faults,
        "notes": _health_notes(health),
        "origin_url": _text(raw.get("origin_url")),
        "origin_ip": _text(raw.get("origin_ip")),
        "aws_endpoint": _text(raw.get("aws_endpoint")),
        "bucket": _text(raw.get("bucket")),
        "lat": lat,
        "lon": lon,
    }


def parse_faults(raw: object) -> list[str]:
    """Injected faults as short phrases: `killed`, `s3 slow` (dependencies still `up` omitted)."""
    if isinstance(raw, Mapping):
        out = ["killed"] if raw.get("killed") is True else []
        deps = _mapping(raw.get("dependencies"))
        out += [f"{dep} {mode}" for dep, mode in deps.items() if mode not in (None, "up")]
        return out
    return [_fault_text(f) for f in _list(raw)]


def _health_notes(raw: object) -> list[str]:
    """Route 53 settings that change what "healthy" means, said out loud."""
    health = _mapping(raw)
    notes = []
    if health.get("disabled") is True:
        notes.append("health check disabled: Route 53 treats it as healthy")
    if health.get("inverted") is True:
        notes.append("health check inverted")
    total, ok = health.get("checkers_total"), health.get("healthy_checkers")
    if isinstance(total, int) and isinstance(ok, int) and total:
        notes.append(f"{ok} of {total} checkers report healthy")
    return notes


def parse_health(raw: object) -> tuple[str, list[dict[str, Any]]]:
    """(overall verdict, per-checker observations) from the region's `health` field."""
    if not isinstance(raw, Mapping):
        return _verdict(raw), []
    overall = "unknown"
    for key in ("overall", "status", "healthy", "state"):
        if key in raw:
            overall = _verdict(raw[key])
            break
    observations = next(
        (raw[k] for k in ("checkers", "observations", "by_checker") if k in raw), None
    )
    checkers: list[dict[str, Any]] = []
    if isinstance(observations, Mapping):
        observations = [
            {"checker": k, **(v if isinstance(v, Mapping) else {"status": v})}
            for k, v in observations.items()
        ]
    for obs in _list(observations):
        if not isinstance(obs, Mapping):
            continue
        checker = _text(obs.get("checker", obs.get("region")))
        verdict = "unknown"
        for key in ("healthy", "status", "state", "ok"):
            if key in obs:
                verdict = _verdict(obs[key])
                break
        detail = next(
            (obs[k] for k in ("detail", "reason", "status", "last") if isinstance(obs.get(k), str)),
            "",
        )
        if _finite(obs.get("latency_ms")):
            detail = f"{detail} ({obs['latency_ms']} ms)".strip()
        checkers.append({"checker": checker, "verdict": verdict, "detail": _short(detail)})
    checkers.sort(key=lambda c: c["checker"])
    return overall, checkers


def _verdict(value: object) -> str:
    if isinstance(value, bool):
        return "healthy" if value else "unhealthy"
    if isinstance(value, str):
        word = value.strip().lower()
        if word in HEALTHY_WORDS:
            return "healthy"
        if word in UNHEALTHY_WORDS:
            return "unhealthy"
    return "unknown"


# -- locations ---------------------------------------------------------------------------
def _location(
    raw: Mapping[str, Any],
    region_state: Mapping[str, str],
    places: Mapping[str, tuple[float, float]],
) -> dict[str, Any]:
    dns = _mapping(raw.get("dns"))
    edge = _mapping(raw.get("edge"))
    dns_region = _text(raw.get("region") or dns.get("region")) or None
    # Traffic follows the edge's cached answer, which trails the DNS answer by up to a TTL:
    # the route drawn is where requests go now, and the gap between the two is shown.
    edge_region = _text(edge.get("region")) or None
    expires_in = edge.get("expires_in")
    if _finite(expires_in) and expires_in <= 0:
        edge_region = None  # expired: the edge's next request resolves again, i.e. follows DNS
    traffic = edge_region or dns_region
    ip = dns.get("ip", dns.get("answer", raw.get("answer", raw.get("answer_ip"))))
    if isinstance(ip, list):
        ip = ", ".join(str(x) for x in ip)
    ttl = dns.get("ttl", raw.get("ttl"))
    target = region_state.get(traffic or "", "unknown")
    # The route is only as good as the region it lands on: a location still sent to a dead
    # region (checkers not past the threshold yet, or a cached DNS answer) is the failover
    # window made visible.
    route = "ok" if target in ("healthy", "degraded") else ("none" if traffic is None else "bad")
    name = _text(raw.get("name"))
    lat, lon = _coordinates(raw, places.get(name))
    return {
        "name": name,
        "subnet": _text(raw.get("subnet")),
        "entry_url": _text(raw.get("entry_url")),
        "edge_ip": _text(raw.get("edge_ip")) or None,
        "region": dns_region,
        "edge_region": edge_region,
        "traffic_region": traffic,
        "region_state": target,
        "route": route,
        "answer_ip": _text(ip) or None,
        "ttl": ttl if _finite(ttl) else None,
        "lat": lat,
        "lon": lon,
    }


def _coordinates(
    raw: Mapping[str, Any], fallback: tuple[float, float] | None
) -> tuple[float | None, float | None]:
    """The status's own coordinates first (a topology may move a region), then the fallback."""
    source = _mapping(raw.get("coordinates")) or raw
    lat, lon = source.get("lat"), source.get("lon")
    if _finite(lat) and _finite(lon):
        return float(lat), float(lon)
    return fallback if fallback is not None else (None, None)


# -- replication, events, profile --------------------------------------------------------
def _replication(raw: object, history: LagHistory) -> list[dict[str, Any]]:
    partitioned = _partitions(_mapping(raw).get("partitions"))
    rows = []
    for lag in parse_replication(raw):
        series = history.series(lag.key)
        rows.append(
            {
                "source": lag.source,
                "target": lag.target,
                "p50_ms": lag.p50_ms,
                "p99_ms": lag.p99_ms,
                "max_ms": lag.max_ms,
                "backlog": lag.backlog,
                "partitioned": frozenset((lag.source, lag.target)) in partitioned,
                "history": [[p.t, p.p99_ms, p.backlog] for p in series],
            }
        )
    return rows


def _partitions(raw: object) -> set[frozenset[str]]:
    """Partitioned pairs, as [[a, b], ...] or ["a->b", ...] (a partition cuts both ways)."""
    out = set()
    for item in _list(raw):
        if isinstance(item, str):
            for sep in ("<->", "->", "/"):
                if sep in item:
                    item = item.split(sep, 1)
                    break
        if isinstance(item, list | tuple) and len(item) == 2:
            out.add(frozenset(str(x) for x in item))
    return out


def _event(raw: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "seq": raw.get("seq") if isinstance(raw.get("seq"), int) else None,
        "time": event_time(raw.get("time")),
        "kind": _text(raw.get("kind")) or "event",
        "region": _text(raw.get("region")) or None,
        "location": _text(raw.get("location")) or None,
        "message": _short(raw.get("message"), limit=300),
        "detail": _detail(raw.get("detail")),
    }


def _detail(raw: object) -> str:
    """Event details as `key value` pairs: readable, and still plain text."""
    if isinstance(raw, Mapping):
        return _short(", ".join(f"{k} {_short(v, limit=60)}" for k, v in raw.items()), limit=300)
    return _short(raw, limit=300)


def event_time(value: object) -> float | None:
    """Epoch seconds from a number (s or ms) or an ISO 8601 string; None if unreadable."""
    if _finite(value):
        number = float(value)
        return number / 1000 if number > 1e11 else number
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
        except ValueError:
            return None
    return None


def _profile(raw: object) -> str:
    """The timing profile in one line: what bounds a failover, and whether it is AWS's."""
    if not isinstance(raw, Mapping):
        return _text(raw)
    name = _text(raw.get("label") or raw.get("name"))
    timings = [
        f"{label} {raw[key]:g}{unit}"
        for key, label, unit in (
            ("interval_s", "checks every", " s"),
            ("failure_threshold", "threshold", ""),
            ("ttl_s", "TTL", " s"),
            ("failover_bound_s", "failover bound", " s"),
        )
        if _finite(raw.get(key))
    ]
    # The same formula with its values as the drills and the README show (topology.failover):
    # interval x threshold + probe timeout + TTL, from the profile's own fields.
    keys = ("interval_s", "failure_threshold", "connect_timeout_s", "response_timeout_s", "ttl_s")
    if all(_finite(raw.get(k)) for k in keys):
        bound = FailoverBound(
            float(raw["interval_s"]),
            int(raw["failure_threshold"]),
            float(raw["connect_timeout_s"]) + float(raw["response_timeout_s"]),
            float(raw["ttl_s"]),
        )
        timings = [t for t in timings if not t.startswith("failover bound")]
        timings.append(f"failover bound ({FORMULA}) {bound.explain()}")
    return " · ".join([name, *timings]) if name else " · ".join(timings)


def _fault_text(raw: object) -> str:
    if isinstance(raw, Mapping):
        return " ".join(str(v) for v in raw.values() if v is not None)
    return _text(raw)


# -- small helpers -----------------------------------------------------------------------
def _rows(value: object) -> list[Mapping[str, Any]]:
    return [x for x in _list(value) if isinstance(x, Mapping)]


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: object) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else []


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _short(value: object, *, limit: int = 120) -> str:
    if value is None:
        return ""
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _finite(value: object) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
