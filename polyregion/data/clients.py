"""boto3 clients for one region, pointed at real AWS or at a local endpoint (moto, the sandbox).

The same code runs in a Lambda (no endpoints: real AWS) and locally (an endpoint per region),
so nothing else in polyregion builds boto3 clients by hand.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Final

from polyregion.errors import ConfigError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodbstreams import DynamoDBStreamsClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_secretsmanager import SecretsManagerClient

ENV_ENDPOINTS: Final = "POLYREGION_AWS_ENDPOINTS"  # JSON {"us-east-1": "http://127.0.0.1:5001"}


def endpoints_from_env(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The per-region endpoints from `env` (default: the process environment)."""
    raw = (os.environ if env is None else env).get(ENV_ENDPOINTS)
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        value = None
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise ConfigError(ENV_ENDPOINTS, raw, 'a JSON object {"region": "http://host:port"}')
    return value


@dataclass(frozen=True)
class ClientConfig:
    """How to reach AWS: timeouts small enough for health checks, few retries (fail fast).

    `max_attempts` counts every attempt, the first included (1: never retry)."""

    connect_timeout_s: float = 1.0
    read_timeout_s: float = 2.0
    max_attempts: int = 2
    max_pool_connections: int = 32


@dataclass
class RegionClients:
    """Lazily built boto3 clients for one region; `endpoint` None means real AWS."""

    region: str
    endpoint: str | None = None
    config: ClientConfig = field(default_factory=ClientConfig)
    session: Any = None  # a boto3.Session; created on first use

    def _client(self, service: str) -> Any:
        import boto3
        from botocore.config import Config

        session: Any = self.session or boto3.session.Session()
        cfg = Config(
            region_name=self.region,
            connect_timeout=self.config.connect_timeout_s,
            read_timeout=self.config.read_timeout_s,
            # botocore's `max_attempts` key counts *retries* (1 meant two attempts, so a "one
            # attempt" health read waited twice its timeout); `total_max_attempts` counts all.
            retries={"total_max_attempts": self.config.max_attempts, "mode": "standard"},
            max_pool_connections=self.config.max_pool_connections,
        )
        return session.client(service, endpoint_url=self.endpoint, config=cfg)

    @cached_property
    def dynamodb(self) -> DynamoDBClient:
        return self._client("dynamodb")  # type: ignore[no-any-return]

    @cached_property
    def dynamodbstreams(self) -> DynamoDBStreamsClient:
        return self._client("dynamodbstreams")  # type: ignore[no-any-return]

    @cached_property
    def s3(self) -> S3Client:
        return self._client("s3")  # type: ignore[no-any-return]

    @cached_property
    def secretsmanager(self) -> SecretsManagerClient:
        return self._client("secretsmanager")  # type: ignore[no-any-return]


def clients_for(
    region: str, endpoints: Mapping[str, str] | None = None, config: ClientConfig | None = None
) -> RegionClients:
    """Clients for `region`, using its endpoint from `endpoints` (or the environment) if any."""
    eps = endpoints if endpoints is not None else endpoints_from_env()
    return RegionClients(region=region, endpoint=eps.get(region), config=config or ClientConfig())
