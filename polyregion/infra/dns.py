"""DNS unit: per-region health check and latency record for `origin.<domain>`, and the alias
`app.<domain>` to the one CloudFront distribution.

Each regional stack publishes its own records (Route 53 is global, so a stack in any region can
write to the zone); their targets are then local attributes of that stack, with no cross-region
reference at all. The seed latency-routed `app.<domain>` between two distributions sharing that
hostname, which CloudFront refuses (CNAMEAlreadyExists); here latency routing picks the
*origin* behind one distribution. Each health check probes its region's *own* hostname:
`origin.<domain>` would be answered by whichever region latency routing picks for the checker,
so one region's failure could go unnoticed.
"""

from __future__ import annotations

from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_route53 as route53
from constructs import Construct

from polyregion.topology import naming
from polyregion.topology.model import Role, Topology

CLOUDFRONT_ZONE_ID = "Z2FDTNDATAQYW2"  # every CloudFront alias target lives in this zone
HTTPS_PORT = 443


def fqdn(name: str) -> str:
    return name if name.endswith(".") else f"{name}."


def failover_hostname(topology: Topology) -> str:
    return f"failover.{topology.origin_hostname}"


class OriginDns(Construct):
    """This region's health check, its latency record and its own hostname."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        topology: Topology,
        region: str,
        zone: route53.IHostedZone,
        shared_target: str,
        region_target: str,
        region_target_zone_id: str,
    ) -> None:
        super().__init__(scope, id)
        health = topology.health
        self.region_hostname = naming.region_origin_hostname(topology, region)
        # <region>.origin.<domain> -> this region's API Gateway domain (alias: no extra hop).
        self.region_record = route53.CfnRecordSet(
            self,
            "RegionRecord",
            hosted_zone_id=zone.hosted_zone_id,
            name=fqdn(self.region_hostname),
            type="A",
            alias_target=route53.CfnRecordSet.AliasTargetProperty(
                dns_name=region_target,
                hosted_zone_id=region_target_zone_id,
                evaluate_target_health=False,
            ),
        )
        self.health_check = route53.CfnHealthCheck(
            self,
            "HealthCheck",
            health_check_config=route53.CfnHealthCheck.HealthCheckConfigProperty(
                type="HTTPS",
                fully_qualified_domain_name=self.region_hostname,
                port=HTTPS_PORT,
                resource_path=health.path,
                request_interval=health.interval_s,
                failure_threshold=health.failure_threshold,
                regions=list(health.checker_regions),
                enable_sni=True,
            ),
            health_check_tags=[
                route53.CfnHealthCheck.HealthCheckTagProperty(
                    key="Name", value=f"{topology.name}-{region}"
                )
            ],
        )
        # Latency record: a CNAME so the topology's TTL applies (an alias would take the
        # target's); Route 53 skips it while the health check fails.
        self.latency_record = route53.CfnRecordSet(
            self,
            "LatencyRecord",
            hosted_zone_id=zone.hosted_zone_id,
            name=fqdn(topology.origin_hostname),
            type="CNAME",
            ttl=str(topology.dns.origin_ttl_s),
            resource_records=[shared_target],
            set_identifier=region,
            region=region,
            health_check_id=self.health_check.attr_health_check_id,
        )
        self.failover_record: route53.CfnRecordSet | None = None
        role = topology.region(region).role
        first_secondary = topology.secondaries[0].name if topology.secondaries else None
        if topology.dns.failover_records and (role is Role.PRIMARY or region == first_secondary):
            # The article's primary/secondary pair, for clients that want strict failover
            # instead of latency routing (Route 53 answers PRIMARY while it is healthy).
            self.failover_record = route53.CfnRecordSet(
                self,
                "FailoverRecord",
                hosted_zone_id=zone.hosted_zone_id,
                name=fqdn(failover_hostname(topology)),
                type="CNAME",
                ttl=str(topology.dns.origin_ttl_s),
                resource_records=[shared_target],
                set_identifier=f"{role}-{region}",
                failover="PRIMARY" if role is Role.PRIMARY else "SECONDARY",
                health_check_id=self.health_check.attr_health_check_id,
            )


class AppAlias(Construct):
    """`app.<domain>` (A and AAAA) -> the distribution. EvaluateTargetHealth stays false:
    Route 53 does not allow it for CloudFront targets."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        topology: Topology,
        zone: route53.IHostedZone,
        distribution: cloudfront.IDistribution,
    ) -> None:
        super().__init__(scope, id)
        # L1 records with the literal zone id (CDK's CloudFrontTarget maps it per partition):
        # what the template says is what Route 53 gets.
        self.records = [
            route53.CfnRecordSet(
                self,
                kind,
                hosted_zone_id=zone.hosted_zone_id,
                name=fqdn(topology.app_hostname),
                type=kind,
                alias_target=route53.CfnRecordSet.AliasTargetProperty(
                    dns_name=distribution.distribution_domain_name,
                    hosted_zone_id=CLOUDFRONT_ZONE_ID,
                    evaluate_target_health=False,
                ),
            )
            for kind in ("A", "AAAA")
        ]
