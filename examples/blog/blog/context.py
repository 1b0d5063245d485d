"""Per-process state of the regional app: clients, stores, keys, caches, the health checker.

Built once by `create_app`; boto3 clients are created lazily (cold start stays short and a
liveness probe never touches AWS) and shared by every request (boto3 clients are thread-safe).
"""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

import anyio.to_thread

from blog.cache import TTLCache
from blog.consistency import ReadYourWrites
from blog.data.assets import AssetStore
from blog.data.attempts import Attempts, DynamoAttempts, MemoryAttempts
from blog.data.audit import AuditLog
from blog.data.posts import Post, PostStore
from blog.data.users import UserStore
from blog.settings import AppSettings
from blog.throttle import Throttle
from polyregion.data.clients import ClientConfig, RegionClients
from polyregion.data.items import Clock, key
from polyregion.kit import (
    HealthChecker,
    RemoteCalls,
    Revocations,
    SecretKeyProvider,
    SessionCodec,
)
from polyregion.kit.aws import REMOTE_CLIENT_CONFIG
from polyregion.kit.checks import dynamodb_table_check, s3_bucket_check, secret_check

T = TypeVar("T")
PROBE = "__health_check__"
# (region, endpoint or None for real AWS, config) -> clients; injectable (tests share clients)
ClientFactory = Callable[[str, str | None, ClientConfig], RegionClients]


def default_clients(region: str, endpoint: str | None, config: ClientConfig) -> RegionClients:
    return RegionClients(region=region, endpoint=endpoint, config=config)


class ClientPool:
    """One RegionClients per region, for one ClientConfig (requests vs health checks)."""

    def __init__(
        self, settings: AppSettings, config: ClientConfig, factory: ClientFactory = default_clients
    ) -> None:
        self.settings = settings
        self.config = config
        self.factory = factory
        self._clients: dict[str, RegionClients] = {}
        self._lock = threading.Lock()

    def __call__(self, region: str) -> RegionClients:
        clients = self._clients.get(region)
        if clients is None:
            with self._lock:
                clients = self._clients.get(region)
                if clients is None:
                    self.settings.topology.region(region)  # only regions of the topology
                    clients = self.factory(region, self.settings.endpoint(region), self.config)
                    self._clients[region] = clients
        return clients


class _Lazy:
    """Build a store per region on first use (under a lock: boto3 client creation races)."""

    def __init__(self, factory: Callable[[str], Any]) -> None:
        self._factory = factory
        self._made: dict[str, Any] = {}
        self._lock = threading.Lock()

    def __call__(self, region: str) -> Any:
        made = self._made.get(region)
        if made is None:
            with self._lock:
                made = self._made.get(region)
                if made is None:
                    made = self._made[region] = self._factory(region)
        return made


class AppContext:
    def __init__(
        self,
        settings: AppSettings,
        clients: ClientFactory = default_clients,
        clock: Clock = time.time,
    ) -> None:
        self.settings = settings
        topo = settings.topology
        self.region = settings.region
        self.table = settings.global_table
        self.secret_id = settings.session_secret
        self.clients = ClientPool(settings, ClientConfig(), clients)
        timeout_s = topo.health.check_timeout_ms / 1000
        # Health clients fail fast: one attempt, socket timeouts no longer than the check's.
        self.health_clients = ClientPool(
            settings,
            ClientConfig(connect_timeout_s=timeout_s, read_timeout_s=timeout_s, max_attempts=1),
            clients,
        )
        # Reads from other regions (read-your-writes fallback): fail-fast clients, their own
        # bulkhead and a circuit breaker per region, so a hung peer cannot starve local work.
        self.remote_clients = ClientPool(settings, REMOTE_CLIENT_CONFIG, clients)
        self.remote = RemoteCalls(
            threads=settings.remote_threads,
            failures=settings.breaker_failures,
            reset_s=settings.breaker_reset_s,
            slot_wait_s=REMOTE_CLIENT_CONFIG.connect_timeout_s
            + REMOTE_CLIENT_CONFIG.read_timeout_s,
        )
        self._posts = _Lazy(lambda r: PostStore(self.clients(r).dynamodb, self.table, r))
        self._remote_posts = _Lazy(
            lambda r: PostStore(self.remote_clients(r).dynamodb, self.table, r)
        )
        self._users = _Lazy(
            lambda r: UserStore(
                self.clients(r).dynamodb,
                self.table,
                r,
                scrypt_n=settings.password_scrypt_n,
                hash_slots=settings.password_hash_slots,
            )
        )
        self._audit = _Lazy(
            lambda r: AuditLog(self.clients(r).dynamodb, settings.audit_table or "", r)
        )
        # Sign-in/sign-up attempts: in the regional audit table, so every instance of the
        # region counts them; per process only if the topology has no such table.
        attempts: Attempts = MemoryAttempts()
        if settings.audit_table is not None:
            attempts = DynamoAttempts(
                lambda: self.clients(self.region).dynamodb, settings.audit_table
            )
        self.throttle = Throttle(settings, attempts, clock)
        self._s3 = _Lazy(lambda r: self.clients(r).s3)
        self.assets = AssetStore(self._s3, settings.bucket, self.region)
        self.keys = SecretKeyProvider(
            lambda: self.clients(self.region).secretsmanager,
            self.secret_id,
            max_age_s=topo.session.secret_cache_s,
        )
        # The value CloudFront sends the origin (origin_guard.py), if this deployment checks it.
        self.origin_keys: SecretKeyProvider | None = None
        if settings.origin_verify_secret:
            self.origin_keys = SecretKeyProvider(
                lambda: self.clients(self.region).secretsmanager,
                settings.origin_verify_secret,
                max_age_s=topo.session.secret_cache_s,
            )
        # Sign-out records (kit.Revocations) live in the global table next to the users.
        self.revocations = Revocations(
            self.table,
            self.region,
            tuple(topo.region_names),
            lambda r: self.clients(r).dynamodb,
            remote_dynamodb=lambda r: self.remote_clients(r).dynamodb,
            partition_key="pk",
            sort_key="sk",
        )
        self.sessions = SessionCodec(
            issuer=f"polyregion:{topo.name}", max_age_s=topo.session.max_age_s
        )
        self.ryw: ReadYourWrites[Post] = ReadYourWrites(
            self.region,
            lambda r, pk: self.posts_in(r).get(pk, consistent=True),
            lambda post: post.version,
            wait_ms=settings.ryw_wait_ms,
            poll_ms=settings.ryw_poll_ms,
            remote=self.remote,
            remote_read=lambda r, pk: self._remote_posts(r).get(pk, consistent=True),
            run=self.run,
            max_waiters=settings.ryw_waiters,
        )
        self.post_cache: TTLCache[Post | None] = TTLCache(settings.read_cache_s)
        self.list_cache: TTLCache[list[Post]] = TTLCache(settings.read_cache_s)
        # Rendered HTML of the pages every signed-out reader sees alike (path -> HTML).
        self.page_cache: TTLCache[bytes] = TTLCache(settings.read_cache_s)
        hc = self.health_clients
        self.health = HealthChecker(
            self.region,
            {
                # GetItem of a probe key that need not exist, HeadBucket, GetSecretValue.
                "dynamodb": dynamodb_table_check(
                    lambda: hc(self.region).dynamodb, self.table, key=key(PROBE, PROBE)
                ),
                "s3": s3_bucket_check(lambda: hc(self.region).s3, settings.bucket(self.region)),
                "secrets": secret_check(lambda: hc(self.region).secretsmanager, self.secret_id),
            },
            timeout_s=timeout_s,
            cache_s=topo.health.cache_s,
            warmup=lambda: (
                hc(self.region).dynamodb,
                hc(self.region).s3,
                hc(self.region).secretsmanager,
            ),
        )

    # -- stores --------------------------------------------------------------------------
    def posts_in(self, region: str) -> PostStore:
        store: PostStore = self._posts(region)
        return store

    @property
    def posts(self) -> PostStore:
        return self.posts_in(self.region)

    @property
    def users(self) -> UserStore:
        store: UserStore = self._users(self.region)
        return store

    @property
    def audit(self) -> AuditLog | None:
        if self.settings.audit_table is None:
            return None
        log: AuditLog = self._audit(self.region)
        return log

    def warm(self) -> None:
        """Build this region's clients now (blocking), so the first requests do not pay it."""
        for pool in (self.clients, self.health_clients):
            c = pool(self.region)
            _ = (c.dynamodb, c.s3, c.secretsmanager)
        for region in self.settings.topology.region_names:
            if region != self.region:  # the read-your-writes fallback's clients
                _ = self.remote_clients(region).dynamodb
        # What is alive now lives as long as the process (~270k objects: botocore's service
        # models, the templates, the routes): move it out of the collector's reach, so that no
        # collection under load walks it again (the first ones after start took up to 8 ms
        # with the event loop stopped; a full one, 100+ ms).
        gc.collect()
        gc.freeze()

    def invalidate(self) -> None:
        self.post_cache.clear()
        self.list_cache.clear()
        self.page_cache.clear()

    # -- blocking calls off the event loop ---------------------------------------------
    @staticmethod
    async def run(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """boto3 and scrypt block: run them in a worker thread so the event loop never does."""
        return await anyio.to_thread.run_sync(partial(fn, *args, **kwargs))
