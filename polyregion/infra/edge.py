"""Edge unit: ONE CloudFront distribution for `app.<domain>` (certificate in us-east-1).

- default behavior (the app): origin `origin.<domain>` over TLS 1.2, latency-routed by Route 53
  to the nearest healthy region; CachingDisabled + AllViewerExceptHostHeader, so cookies, query
  strings and headers reach the app (the seed's CachingOptimized dropped the session cookie)
  and the Host header is the origin's own name, which its certificate and API mapping match;
- the static paths of the app (static_site.py: `/static/*` for the blog, `/_next/static/*` and
  `public/`'s entries for Next.js, none for other apps): cached (CachingOptimized) from the
  primary region's bucket through Origin Access Control, failing over to a replica bucket.
  Origin groups fail over only for GET/HEAD/OPTIONS; static files need no CORS preflight, so
  GET and HEAD only.

Every request to the app origin carries the custom header `origin.verify_header` whose value
is the origin verification secret, through a CloudFormation dynamic reference
(`{{resolve:secretsmanager:<name>:SecretString:::<OriginVerifyVersion>}}`): the template holds
the reference, never the value. It resolves in this stack's region (us-east-1), where the
secret has a replica (secrets.py). CloudFormation re-resolves it only when the template or a
parameter changes, hence the `OriginVerifyVersion` parameter: after putting a new value,
redeploy with its VersionId and CloudFront starts sending it (the app accepts both meanwhile).
"""

from __future__ import annotations

from aws_cdk import CfnParameter, Duration, SecretValue
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_route53 as route53
from aws_cdk import aws_s3 as s3
from constructs import Construct

from polyregion.infra.static_site import StaticSite
from polyregion.topology import naming
from polyregion.topology.model import Topology

STATIC_PATH = "/static/*"  # the blog's (static_site.blog_site)
# Status codes on which the static origin group retries the replica bucket.
FAILOVER_STATUS_CODES = (403, 404, 500, 502, 503, 504)
ORIGIN_READ_TIMEOUT_S = 30  # the Lambda's timeout: a slow render is not a dead origin
PARAM_ORIGIN_VERIFY_VERSION = "OriginVerifyVersion"


class Edge(Construct):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        topology: Topology,
        account: str,
        zone: route53.IHostedZone,
        static: StaticSite | None = None,
    ) -> None:
        super().__init__(scope, id)
        self.certificate = acm.Certificate(
            self,
            "Certificate",
            domain_name=topology.app_hostname,
            validation=acm.CertificateValidation.from_dns(zone),
        )
        self.static_buckets: dict[str, s3.IBucket] = {}
        self.origin_verify_version = CfnParameter(
            self,
            PARAM_ORIGIN_VERIFY_VERSION,
            type="String",
            default="",
            allowed_pattern="^$|^[A-Za-z0-9-]{32,64}$",
            description=(
                "VersionId of the origin verification secret CloudFront sends; empty: the "
                "AWSCURRENT one at deploy time. Set it after a rotation to make CloudFront follow."
            ),
        )
        self.origin_verify_version.override_logical_id(PARAM_ORIGIN_VERIFY_VERSION)
        verify_value = SecretValue.secrets_manager(
            naming.origin_verify_secret(topology),
            version_id=self.origin_verify_version.value_as_string,
        )
        self.app_origin = origins.HttpOrigin(
            topology.origin_hostname,
            protocol_policy=cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
            origin_ssl_protocols=[cloudfront.OriginSslPolicy.TLS_V1_2],
            read_timeout=Duration.seconds(ORIGIN_READ_TIMEOUT_S),
            connection_attempts=3,
            connection_timeout=Duration.seconds(5),
            # unsafe_unwrap: the header map takes strings; what lands in the template is the
            # dynamic reference, resolved by CloudFormation at deploy time.
            custom_headers={topology.origin.verify_header: verify_value.unsafe_unwrap()},
        )
        headers = cloudfront.ResponseHeadersPolicy.SECURITY_HEADERS
        self.distribution = cloudfront.Distribution(
            self,
            "Distribution",
            comment=f"{topology.name}: app.{topology.domain}",
            domain_names=[topology.app_hostname],
            certificate=self.certificate,
            minimum_protocol_version=cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
            price_class=cloudfront.PriceClass.PRICE_CLASS_ALL,
            default_behavior=cloudfront.BehaviorOptions(
                origin=self.app_origin,
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                allowed_methods=cloudfront.AllowedMethods.ALLOW_ALL,
                cache_policy=cloudfront.CachePolicy.CACHING_DISABLED,
                origin_request_policy=(
                    cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER
                ),
                response_headers_policy=headers,
                compress=True,
            ),
            additional_behaviors=self._static_behaviors(topology, account, static, headers),
        )

    def _static_behaviors(
        self,
        topology: Topology,
        account: str,
        static: StaticSite | None,
        headers: cloudfront.IResponseHeadersPolicy,
    ) -> dict[str, cloudfront.BehaviorOptions]:
        if static is None or not static.patterns:
            return {}
        origin = self._static_origin(topology, account, static)
        return {
            pattern: cloudfront.BehaviorOptions(
                origin=origin,
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                allowed_methods=cloudfront.AllowedMethods.ALLOW_GET_HEAD,
                cached_methods=cloudfront.CachedMethods.CACHE_GET_HEAD,
                cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
                response_headers_policy=headers,
                compress=True,
            )
            for pattern in static.patterns
        }

    def _static_origin(
        self, topology: Topology, account: str, static: StaticSite
    ) -> cloudfront.IOrigin:
        """The primary region's bucket through OAC, failing over to the next region's."""
        primary = topology.primary.name
        fallback = topology.secondaries[0].name if topology.secondaries else None
        for r in (primary, fallback):
            if r is not None:
                self.static_buckets[r] = s3.Bucket.from_bucket_attributes(
                    self, f"Bucket-{r}", bucket_name=naming.bucket(topology, r, account), region=r
                )

        def bucket_origin(region: str) -> cloudfront.IOrigin:
            return origins.S3BucketOrigin.with_origin_access_control(
                self.static_buckets[region], origin_path=static.origin_path or None
            )

        if fallback is None:
            return bucket_origin(primary)
        return origins.OriginGroup(
            primary_origin=bucket_origin(primary),
            fallback_origin=bucket_origin(fallback),
            fallback_status_codes=list(FAILOVER_STATUS_CODES),
        )
