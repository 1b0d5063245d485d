"""Where the AWS target's clients go: real AWS by default, or endpoint overrides.

`drill --target aws` and `lag --target aws` talk to four things: the Route 53 API (find, invert
and read health checks), DNS (what `origin.<domain>` resolves to), the app (`https://app.<domain>`)
and each region's AWS endpoint (DynamoDB replicas, S3, Secrets Manager, CloudWatch). Every one
can be overridden, so CI runs these very code paths against a running sandbox standing in for
AWS (`AwsEndpoints.from_sandbox_status`), and a user can point them at anything that speaks the
same APIs. The overrides come from a JSON file (`--aws-endpoints FILE`):

    {"route53": "http://127.0.0.1:20006", "dns": "127.0.0.1:20007",
     "app_url": "http://127.0.100.1:20000", "regions": {"us-east-1": "http://..."},
     "credentials": "local", "bucket_account": null,
     "timing": {"interval_s": 1, "failure_threshold": 2, "ttl_s": 1}}

`timing` is the stand-in's failover clock (its checkers' interval and threshold, its DNS TTL):
the drill's waits are bounded by it instead of the topology's Route 53 settings.

What only real AWS can show (no stand-in reproduces it): CloudFront's own routing and caching,
Route 53's global checker fleet and DNS propagation (TTL, resolvers' caches), the
`ReplicationLatency` metric of CloudWatch, IAM permission failures and real network latency.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from polyregion.data.clients import RegionClients
from polyregion.errors import ConfigError

_KEYS: Final = (
    "route53", "dns", "app_url", "regions", "credentials", "bucket_account", "timing",
)  # fmt: skip
TIMING_KEYS: Final = ("interval_s", "failure_threshold", "ttl_s")
# Placeholder credentials for local stand-ins (moto checks none); never real keys.
LOCAL_CREDENTIALS: Final = {
    "aws_access_key_id": "polyregion-local",
    "aws_secret_access_key": "polyregion-local",
}


@dataclass(frozen=True, slots=True)
class AwsEndpoints:
    """Empty (the default) means real AWS everywhere, with the user's credentials."""

    route53: str | None = None
    dns: tuple[str, int] | None = None
    app_url: str | None = None
    regions: Mapping[str, str] = field(default_factory=dict)
    local_credentials: bool = False  # dummy keys instead of the user's credential chain
    # Bucket names carry the account id on AWS (naming.bucket). With a stand-in, the account
    # is not asked from STS: None means "no account suffix", as the sandbox names buckets.
    bucket_account: str | None = None
    timing: Mapping[str, float] | None = None  # interval_s, failure_threshold, ttl_s

    @property
    def overridden(self) -> bool:
        return bool(self.route53 or self.dns or self.app_url or self.regions)

    # -- construction ----------------------------------------------------------------------
    @classmethod
    def load(cls, path: Path) -> AwsEndpoints:
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError("--aws-endpoints", str(path), f"cannot read it ({exc})") from None
        except json.JSONDecodeError as exc:
            raise ConfigError("--aws-endpoints", str(path), f"not JSON ({exc.msg})") from None
        return cls.from_dict(raw, source=str(path))

    @classmethod
    def from_dict(cls, raw: object, *, source: str = "--aws-endpoints") -> AwsEndpoints:
        if not isinstance(raw, Mapping):
            raise ConfigError(source, raw, "a JSON object with " + ", ".join(_KEYS))
        for key in raw:
            if key not in _KEYS:
                raise ConfigError(f"{source}.{key}", raw[key], "known keys: " + ", ".join(_KEYS))
        regions = raw.get("regions", {})
        if not isinstance(regions, Mapping) or not all(
            isinstance(v, str) and v.startswith(("http://", "https://")) for v in regions.values()
        ):
            raise ConfigError(f"{source}.regions", regions, '{"region": "http(s)://host:port"}')
        dns = raw.get("dns")
        dns_addr: tuple[str, int] | None = None
        if dns is not None:
            host, _, port = str(dns).rpartition(":")
            if not host or not port.isdigit():
                raise ConfigError(f"{source}.dns", dns, "host:port of a DNS server")
            dns_addr = (host, int(port))
        creds = raw.get("credentials", "default")
        if creds not in ("default", "local"):
            raise ConfigError(f"{source}.credentials", creds, '"default" or "local"')
        timing = raw.get("timing")
        if timing is not None and (
            not isinstance(timing, Mapping)
            or set(timing) != {"interval_s", "failure_threshold", "ttl_s"}
            or not all(isinstance(v, int | float) and v > 0 for v in timing.values())
        ):
            raise ConfigError(
                f"{source}.timing", timing, "{interval_s, failure_threshold, ttl_s}, all > 0"
            )
        return cls(
            timing=dict(timing) if timing is not None else None,
            route53=raw.get("route53"),
            dns=dns_addr,
            app_url=raw.get("app_url"),
            regions={str(k): str(v) for k, v in regions.items()},
            local_credentials=creds == "local",
            bucket_account=raw.get("bucket_account"),
        )

    @classmethod
    def from_sandbox_status(
        cls, status: Mapping[str, Any], location: str | None = None
    ) -> AwsEndpoints:
        """A running sandbox as AWS: its Route 53 API, DNS server, a location's edge as the
        app's public URL, and each region's AWS endpoint."""
        locations = status["locations"]
        loc = next((x for x in locations if x["name"] == location), locations[0])
        return cls(
            route53=status["route53_endpoint"],
            dns=(status["dns"]["host"], int(status["dns"]["port"])),
            app_url=loc["entry_url"],
            regions={r["name"]: r["aws_endpoint"] for r in status["regions"]},
            local_credentials=True,
            bucket_account=None,
            timing={k: float(status["profile"][k]) for k in TIMING_KEYS}
            if status.get("profile")
            else None,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "route53": self.route53,
            "dns": f"{self.dns[0]}:{self.dns[1]}" if self.dns else None,
            "app_url": self.app_url,
            "regions": dict(self.regions),
            "credentials": "local" if self.local_credentials else "default",
            "bucket_account": self.bucket_account,
            "timing": dict(self.timing) if self.timing is not None else None,
        }

    # -- clients ---------------------------------------------------------------------------
    def session(self, session: Any = None) -> Any:
        if session is not None:
            return session
        import boto3

        if self.local_credentials:
            return boto3.session.Session(
                aws_access_key_id=LOCAL_CREDENTIALS["aws_access_key_id"],
                aws_secret_access_key=LOCAL_CREDENTIALS["aws_secret_access_key"],
            )
        return boto3.session.Session()

    def route53_client(self, session: Any = None) -> Any:
        return self.session(session).client(
            "route53", region_name="us-east-1", endpoint_url=self.route53
        )

    def region_clients(self, region: str, session: Any = None) -> RegionClients:
        return RegionClients(region, self.regions.get(region), session=self.session(session))

    def client(self, service: str, region: str, session: Any = None) -> Any:
        return self.session(session).client(
            service, region_name=region, endpoint_url=self.regions.get(region)
        )

    def resolve(self, hostname: str) -> str | None:
        """The first A record of `hostname`: from the given DNS server, else the system's."""
        if self.dns is None:
            try:
                return socket.gethostbyname(hostname)
            except OSError:
                return None
        import dns.exception
        import dns.message
        import dns.query
        import dns.rdatatype

        query = dns.message.make_query(hostname, dns.rdatatype.A)
        try:
            answer = dns.query.udp(query, self.dns[0], port=self.dns[1], timeout=2.0)
        except (dns.exception.DNSException, OSError):
            return None
        for rrset in answer.answer:
            for item in rrset:
                if item.rdtype == dns.rdatatype.A:
                    return str(item.address)
        return None
