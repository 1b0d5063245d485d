"""AWS limits on the names polyregion derives from the topology, checked by `config check`.

A name that is valid on its own (`app.name`, `app.domain`) can still produce a bucket, table,
secret or certificate name AWS refuses; without this check synth dies with a jsii traceback, or
deploy fails halfway. Every limit below names its AWS source; the fix is always to shorten the
name that contributes most.

- S3 bucket names: 3-63 characters [S3 User Guide, "General purpose bucket naming rules"].
- DynamoDB table names: 3-255 characters of [a-zA-Z0-9_.-] [DynamoDB Developer Guide,
  "Supported data types and naming rules"].
- Secrets Manager secret names: at most 512 characters [Secrets Manager API, CreateSecret Name].
- ACM: the first domain name of a certificate (its subject CN) is at most 64 octets
  [ACM API, RequestCertificate DomainName: "The first domain name you enter cannot exceed 64
  octets, including periods"]. The edge certificate's first name is `app.<domain>`, each
  regional one's `origin.<domain>`.
- CloudFront origin custom headers: the names CloudFront refuses to add are listed in
  "Custom headers that CloudFront can't add to origin requests" (CloudFront Developer Guide,
  add-origin-custom-headers.html#add-origin-custom-headers-denylist, read 2026-12-02).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from polyregion.errors import ConfigError
from polyregion.topology import naming
from polyregion.topology.model import Topology

BUCKET_MAX: Final = 63
TABLE_MAX: Final = 255
SECRET_MAX: Final = 512
ACM_FIRST_NAME_MAX: Final = 64
# A deploy without `aws.account` learns the account at deploy time: reserve its 12 digits.
ACCOUNT_PLACEHOLDER: Final = "123456789012"

# CloudFront's documented denylist for origin custom headers (compared lowercased).
CLOUDFRONT_CANNOT_ADD: Final = frozenset(
    {
        "cache-control", "connection", "content-length", "cookie", "host", "if-match",
        "if-modified-since", "if-none-match", "if-range", "if-unmodified-since",
        "max-forwards", "pragma", "proxy-authorization", "proxy-connection", "range",
        "request-range", "te", "trailer", "transfer-encoding", "upgrade", "via", "x-real-ip",
    }
)  # fmt: skip
CLOUDFRONT_CANNOT_ADD_PREFIXES: Final = ("x-amz-", "x-edge-")


def cloudfront_refuses_header(name: str) -> bool:
    lower = name.lower()
    return lower in CLOUDFRONT_CANNOT_ADD or lower.startswith(CLOUDFRONT_CANNOT_ADD_PREFIXES)


def _buckets(topology: Topology) -> Iterator[tuple[str, str]]:
    """(bucket key, physical name) of every declared bucket in every region."""
    account = topology.aws.account or ACCOUNT_PLACEHOLDER
    for b in topology.buckets:
        for region in topology.region_names:
            yield f"buckets.{b.name}", naming.bucket(topology, region, account, b.name)


def _tables(topology: Topology) -> Iterator[str]:
    for t in topology.tables:
        yield naming.table(topology, t.name)


def check_derived_names(topology: Topology) -> None:
    """Raise a ConfigError naming the key to shorten when a derived name breaks an AWS limit."""
    src = topology.source
    for key, bucket in _buckets(topology):
        if len(bucket) > BUCKET_MAX:
            over = len(bucket) - BUCKET_MAX
            raise ConfigError(
                "app.name",
                topology.name,
                f"the S3 bucket name {bucket!r} ({key}) is {len(bucket)} characters, S3 allows "
                f"{BUCKET_MAX}: shorten app.name or the bucket's name by at least {over} "
                "characters",
                source=src,
            )
    for table in _tables(topology):
        if len(table) > TABLE_MAX:
            raise ConfigError(
                "app.name",
                topology.name,
                f"the DynamoDB table name {table!r} is {len(table)} characters, DynamoDB "
                f"allows {TABLE_MAX}: shorten app.name or the table name",
                source=src,
            )
    for secret in (naming.session_secret(topology), naming.origin_verify_secret(topology)):
        if len(secret) > SECRET_MAX:
            raise ConfigError(
                "app.name",
                topology.name,
                f"the secret name {secret!r} exceeds Secrets Manager's {SECRET_MAX} characters",
                source=src,
            )
    for first in (topology.app_hostname, topology.origin_hostname):
        octets = len(first.encode("ascii"))
        if octets > ACM_FIRST_NAME_MAX:
            raise ConfigError(
                "app.domain",
                topology.domain,
                f"the certificate name {first!r} is {octets} octets; ACM allows "
                f"{ACM_FIRST_NAME_MAX} for a certificate's first domain name: use a domain "
                f"at most {ACM_FIRST_NAME_MAX - (octets - len(topology.domain))} characters long",
                source=src,
            )
