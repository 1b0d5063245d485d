"""The cost model: a scenario and a price book in, one line item per billable thing out.

Each line item keeps its formula (in words) and its arithmetic per region (with numbers), so
`polyregion cost --explain` can show where every cent comes from. Money is Decimal throughout;
a line item is rounded to cents once, and totals add the rounded items (what the table shows).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from typing import Final

from polyregion.cost.prices import Price, PriceBook
from polyregion.cost.scenario import Scenario

CENT: Final = Decimal("0.01")
KIB: Final = Decimal(1024)
BYTES_PER_GB: Final = Decimal(1024**3)  # AWS bills data in GB of 2^30 bytes
ZERO: Final = Decimal(0)
EDGE_REGION: Final = "us-east-1"  # CloudFront's certificate and the edge stack live there
SECRETS: Final = ("session", "origin-verify")  # naming.session_secret, origin_verify_secret


def dec(value: float | int) -> Decimal:
    """A float from the topology as the Decimal its text shows (0.85, not 0.84999...)."""
    return Decimal(str(value))


def cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def _ceil(value: Decimal) -> Decimal:
    return value.to_integral_value(rounding=ROUND_CEILING)


def qty(value: Decimal) -> str:
    """A quantity for humans: 2,000,000 or 0.0019."""
    if value == value.to_integral_value():
        return f"{value:,.0f}"
    text = f"{value:,.4f}".rstrip("0")
    return text if text[-1] != "." else text[:-1]


@dataclass(frozen=True, slots=True)
class Term:
    """`quantity` units billed at `price` in `region` (None: a global service)."""

    region: str | None
    quantity: Decimal
    price: Price

    @property
    def usd(self) -> Decimal:
        return self.price.cost(self.quantity, self.region)

    def explain(self) -> str:
        where = f"{self.region}: " if self.region else ""
        return f"{where}{qty(self.quantity)} x {self.price.describe(self.region)} = ${self.usd:.4f}"


@dataclass(frozen=True, slots=True)
class LineItem:
    name: str
    service: str
    formula: str  # in words: where the quantity comes from
    terms: tuple[Term, ...]

    @property
    def exact_usd(self) -> Decimal:
        return sum((t.usd for t in self.terms), ZERO)

    @property
    def usd(self) -> Decimal:
        return cents(self.exact_usd)

    @property
    def quantity(self) -> Decimal:
        return sum((t.quantity for t in self.terms if t.price is self.terms[0].price), ZERO)

    @property
    def unit(self) -> str:
        return self.terms[0].price.unit if self.terms else ""

    @property
    def detail(self) -> str:
        shown = [t for t in self.terms if t.quantity]
        return "; ".join(t.explain() for t in shown) if shown else "nothing to bill"


@dataclass(frozen=True, slots=True)
class Estimate:
    regions: tuple[str, ...]
    items: tuple[LineItem, ...]

    @property
    def total_usd(self) -> Decimal:
        return sum((i.usd for i in self.items), ZERO)

    def item(self, name: str) -> LineItem:
        return next(i for i in self.items if i.name == name)


class _Usage:
    """Monthly quantities derived once from the traffic profile and the region count."""

    def __init__(self, s: Scenario, book: PriceBook) -> None:
        t = s.traffic
        self.n = Decimal(s.count)
        self.month_s = book.assume("hours_per_month") * 3600
        self.viewer_requests = dec(t.visits_per_month) * dec(t.requests_per_visit)
        self.origin_requests = self.viewer_requests * (1 - dec(t.cache_hit_ratio))
        self.origin_per_region = self.origin_requests / self.n
        checkers = len(set(s.health.checker_regions)) * book.assume("health_checkers_per_region")
        # One health check per region, each probed by every checker once per interval.
        self.probes_per_region = (
            checkers * self.month_s / s.health.interval_s if s.multi_region else ZERO
        )
        self.memory_gb = dec(t.ssr_memory_mb) / KIB
        self.ssr_s = dec(t.ssr_duration_ms) / 1000
        self.probe_s = book.assume("health_probe_ms") / 1000
        item_kb = dec(t.item_size_kb)
        self.reads = self.origin_requests * dec(t.reads_per_request)
        # Eventually consistent read: half a unit per 4 KB started.
        self.rru_per_read = max(Decimal(1), _ceil(item_kb / 4)) / 2
        self.writes = self.origin_requests * dec(t.writes_per_request)
        self.wru_per_write = max(Decimal(1), _ceil(item_kb))  # one unit per 1 KB started
        self.item_gb = item_kb / KIB / KIB
        self.objects = dec(t.new_objects_per_month)
        self.object_gb = dec(t.object_size_kb) / KIB / KIB
        self.others = self.n - 1  # replicas each write or object is copied to

    def invocations(self) -> Decimal:
        return self.origin_per_region + self.probes_per_region


def estimate(s: Scenario, book: PriceBook) -> Estimate:
    u = _Usage(s, book)
    items = (
        *_lambda(s, book, u),
        *_dynamodb(s, book, u),
        *_cloudfront(s, book, u),
        *_s3(s, book, u),
        *_transfer(s, book, u),
        *_route53(s, book, u),
        *_secrets(s, book, u),
        *_apigateway(s, book, u),
        *_logs(s, book, u),
    )
    return Estimate(regions=s.regions, items=items)


def _per_region(s: Scenario, price: Price, quantity: Decimal) -> tuple[Term, ...]:
    return tuple(Term(r, quantity, price) for r in s.regions)


def _lambda(s: Scenario, b: PriceBook, u: _Usage) -> tuple[LineItem, ...]:
    gb_s = (u.origin_per_region * u.ssr_s + u.probes_per_region * u.probe_s) * u.memory_gb
    return (
        LineItem(
            "Lambda requests",
            "Lambda",
            "per region: visits x requests/visit x (1 - cache hit ratio) / regions, plus health "
            "probes (checker regions x checkers x seconds per month / interval)",
            _per_region(s, b["lambda.requests"], u.invocations()),
        ),
        LineItem(
            "Lambda compute (Arm)",
            "Lambda",
            "per region: (origin requests x SSR duration + health probes x probe duration) "
            "x memory GB",
            _per_region(s, b["lambda.gb_second_arm"], gb_s),
        ),
    )


def _dynamodb(s: Scenario, b: PriceBook, u: _Usage) -> tuple[LineItem, ...]:
    replicated = s.multi_region and s.replicated_data
    write_price = b[
        "dynamodb.replicated_write_request_units" if replicated else "dynamodb.write_request_units"
    ]
    local_writes = u.writes / u.n * u.wru_per_write
    # Every replica applies every write: the ones made elsewhere arrive as replicated writes.
    replicated_writes = u.writes * u.others / u.n * u.wru_per_write if replicated else ZERO
    # GSIs are maintained in each replica and billed as plain WRU even on a global table.
    applied = u.writes if replicated else u.writes / u.n  # writes each region's table sees
    gsi_writes = applied * dec(s.traffic.gsi_writes_per_write) * u.wru_per_write
    # A replica holds all global data; regional-only tables split the data between regions.
    table_gb = dec(s.traffic.table_gb) / (1 if replicated else u.n)
    return (
        LineItem(
            "DynamoDB reads",
            "DynamoDB",
            "per region: origin requests x reads/request x RRU per read (0.5 per 4 KB, "
            "eventually consistent)",
            _per_region(s, b["dynamodb.read_request_units"], u.reads / u.n * u.rru_per_read),
        ),
        LineItem(
            "DynamoDB writes",
            "DynamoDB",
            "per region: origin requests x writes/request x WRU per write (1 per KB); "
            "billed as replicated WRU on a global table",
            _per_region(s, write_price, local_writes),
        ),
        LineItem(
            "DynamoDB replicated writes",
            "DynamoDB",
            "per region: writes made in the other regions x WRU per write (global data only)",
            _per_region(s, b["dynamodb.replicated_write_request_units"], replicated_writes),
        ),
        LineItem(
            "DynamoDB GSI writes",
            "DynamoDB",
            "per region: writes applied in that region x GSI updates/write x WRU per write",
            _per_region(s, b["dynamodb.write_request_units"], gsi_writes),
        ),
        LineItem(
            "DynamoDB storage",
            "DynamoDB",
            "per region: table GB (every replica holds all global data)",
            _per_region(s, b["dynamodb.storage"], table_gb),
        ),
        LineItem(
            "DynamoDB Streams reads",
            "DynamoDB",
            "per region: your own stream consumers' reads (replication and Lambda triggers "
            "read for free)",
            _per_region(
                s, b["dynamodb.streams_read_requests"], dec(s.traffic.stream_reads_per_month)
            ),
        ),
    )


def _cloudfront(s: Scenario, b: PriceBook, u: _Usage) -> tuple[LineItem, ...]:
    # One distribution whatever the number of regions: same requests, same bytes.
    gb_out = u.viewer_requests * dec(s.traffic.bytes_per_response) / BYTES_PER_GB
    return (
        LineItem(
            "CloudFront requests",
            "CloudFront",
            "visits x requests/visit (one distribution for every region)",
            (Term(None, u.viewer_requests, b["cloudfront.https_requests"]),),
        ),
        LineItem(
            "CloudFront data out",
            "CloudFront",
            "visits x requests/visit x bytes/response / 2^30",
            (Term(None, gb_out, b["cloudfront.data_out"]),),
        ),
    )


def _s3(s: Scenario, b: PriceBook, u: _Usage) -> tuple[LineItem, ...]:
    replicas = u.objects * u.others / u.n  # objects each bucket receives from the others
    replicated_gb = u.objects / u.n * u.object_gb * u.others  # leaving each region
    rtc_gb = replicated_gb if s.buckets.replication_time_control else ZERO
    return (
        LineItem(
            "S3 storage",
            "S3",
            "per region: stored GB (every bucket holds every object)",
            _per_region(s, b["s3.storage"], dec(s.traffic.stored_gb)),
        ),
        LineItem(
            "S3 uploads",
            "S3",
            "per region: new objects/month / regions, one PUT each",
            _per_region(s, b["s3.put_requests"], u.objects / u.n),
        ),
        LineItem(
            "S3 replication PUTs",
            "S3",
            "per region: objects uploaded in the other regions (billed at the destination)",
            _per_region(s, b["s3.put_requests"], replicas),
        ),
        LineItem(
            "S3 Replication Time Control",
            "S3",
            "per source region: GB replicated out (if buckets.replication_time_control)",
            _per_region(s, b["s3.rtc"], rtc_gb),
        ),
    )


def _transfer(s: Scenario, b: PriceBook, u: _Usage) -> tuple[LineItem, ...]:
    price = b["transfer.inter_region"]
    crr_gb = u.objects / u.n * u.object_gb * u.others
    ddb_gb = u.writes / u.n * u.item_gb * u.others if s.replicated_data else ZERO
    return (
        LineItem(
            "Inter-region transfer (S3 CRR)",
            "Data transfer",
            "per source region: objects uploaded there x object GB x other regions",
            _per_region(s, price, crr_gb),
        ),
        LineItem(
            "Inter-region transfer (DynamoDB)",
            "Data transfer",
            "per source region: writes made there x item GB x other regions (global data)",
            _per_region(s, price, ddb_gb),
        ),
    )


def _route53(s: Scenario, b: PriceBook, u: _Usage) -> tuple[LineItem, ...]:
    queries = ZERO
    checks = ZERO
    options: list[str] = []
    if s.multi_region:
        # CloudFront's resolvers ask for origin.<domain> once per TTL each; never more often
        # than there are origin requests. app.<domain> is an alias to CloudFront: free.
        per_ttl = b.assume("origin_resolvers") * u.month_s / max(1, s.dns.origin_ttl_s)
        queries = min(u.origin_requests, per_ttl)
        checks = u.n
        options = ["HTTPS"] + (["fast interval"] if s.health.interval_s == 10 else [])
    return (
        LineItem(
            "Route 53 hosted zone",
            "Route 53",
            "one public hosted zone",
            (Term(None, Decimal(1), b["route53.hosted_zone"]),),
        ),
        LineItem(
            "Route 53 latency queries",
            "Route 53",
            "min(origin requests, origin resolvers x seconds per month / origin TTL)",
            (Term(None, queries, b["route53.latency_queries"]),),
        ),
        LineItem(
            "Route 53 health checks",
            "Route 53",
            "one check per region + its optional features ("
            + (" + ".join(options) or "none")
            + ")",
            (
                Term(None, checks, b["route53.health_check"]),
                Term(None, checks * len(options), b["route53.health_check_option"]),
            ),
        ),
    )


def origin_verify_replica_regions(s: Scenario) -> tuple[str, ...]:
    """Where the origin-verify secret is replicated (infra/secrets.py): every region but the
    primary, and us-east-1 (the edge stack's region) when it is not an app region."""
    regions = list(s.regions[1:])
    if EDGE_REGION not in s.regions:
        regions.append(EDGE_REGION)
    return tuple(regions)


def _secrets(s: Scenario, b: PriceBook, u: _Usage) -> tuple[LineItem, ...]:
    # Each warm Lambda environment fetches each secret once per cache period. Warm environments
    # per region: mean concurrency rounded up, at least one.
    busy_s = u.origin_per_region * u.ssr_s + u.probes_per_region * u.probe_s
    environments = max(Decimal(1), _ceil(busy_s / u.month_s))
    cache_s = s.session.secret_cache_s
    calls = u.invocations()
    if cache_s > 0:
        calls = min(calls, environments * u.month_s / cache_s)
    price = b["secretsmanager.secret"]
    replicas = tuple(Term(r, Decimal(1), price) for r in s.regions[1:])
    replicas += tuple(Term(r, Decimal(1), price) for r in origin_verify_replica_regions(s))
    return (
        LineItem(
            "Secrets Manager secret",
            "Secrets Manager",
            f"{len(SECRETS)} secrets in the primary region: {', '.join(SECRETS)}",
            (Term(s.primary, Decimal(len(SECRETS)), price),),
        ),
        LineItem(
            "Secrets Manager replicas",
            "Secrets Manager",
            "the session secret in every other region; the origin-verify secret in every other "
            "region and in us-east-1 (the edge stack resolves it there)",
            replicas or (Term(s.primary, ZERO, price),),
        ),
        LineItem(
            "Secrets Manager API calls",
            "Secrets Manager",
            "per region: both secrets x min(invocations, warm environments x seconds per month / "
            "session.secret_cache_s)",
            _per_region(s, b["secretsmanager.api_calls"], calls * len(SECRETS)),
        ),
    )


def _apigateway(s: Scenario, b: PriceBook, u: _Usage) -> tuple[LineItem, ...]:
    # The origin is an HTTP API on custom domains: every origin request and every Route 53
    # probe of <region>.origin.<domain> is an API request before it is a Lambda invocation.
    return (
        LineItem(
            "API Gateway HTTP API requests",
            "API Gateway",
            "per region: origin requests / regions + health probes (same as Lambda requests)",
            _per_region(s, b["apigateway.http_requests"], u.invocations()),
        ),
    )


def _logs(s: Scenario, b: PriceBook, u: _Usage) -> tuple[LineItem, ...]:
    per_call = b.assume("log_bytes_per_invocation")
    return (
        LineItem(
            "CloudWatch Logs ingestion",
            "CloudWatch",
            "per region: (origin requests / regions + health probes) x log bytes per invocation "
            "/ 2^30 (function log group + API access log group)",
            _per_region(
                s, b["cloudwatch.logs_ingestion"], u.invocations() * per_call / BYTES_PER_GB
            ),
        ),
    )
