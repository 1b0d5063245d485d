"""Facts about AWS regions that the topology needs: where they are, and which Route 53 allows.

Coordinates are the approximate metro of each region, used only by the latency model that the
sandbox simulates with (real routing uses AWS's own measurements).
"""

from __future__ import annotations

from typing import Final

# (latitude, longitude) of the metro hosting each region.
REGION_COORDINATES: Final[dict[str, tuple[float, float]]] = {
    "us-east-1": (38.9, -77.4),  # N. Virginia
    "us-east-2": (40.0, -83.0),  # Ohio
    "us-west-1": (37.4, -121.9),  # N. California
    "us-west-2": (45.8, -119.7),  # Oregon
    "ca-central-1": (45.5, -73.6),  # Montreal
    "sa-east-1": (-23.5, -46.6),  # Sao Paulo
    "eu-west-1": (53.3, -6.3),  # Dublin
    "eu-west-2": (51.5, -0.1),  # London
    "eu-west-3": (48.9, 2.4),  # Paris
    "eu-central-1": (50.1, 8.7),  # Frankfurt
    "eu-north-1": (59.3, 18.1),  # Stockholm
    "eu-south-1": (45.5, 9.2),  # Milan
    "ap-south-1": (19.1, 72.9),  # Mumbai
    "ap-southeast-1": (1.35, 103.8),  # Singapore
    "ap-southeast-2": (-33.9, 151.2),  # Sydney
    "ap-northeast-1": (35.7, 139.7),  # Tokyo
    "ap-northeast-2": (37.6, 127.0),  # Seoul
    "ap-northeast-3": (34.7, 135.5),  # Osaka
    "me-south-1": (26.1, 50.6),  # Bahrain
    "af-south-1": (-33.9, 18.4),  # Cape Town
}

# Route 53 health checkers run only in these regions [API_HealthCheckConfig].
HEALTH_CHECKER_REGIONS: Final[tuple[str, ...]] = (
    "us-east-1",
    "us-west-1",
    "us-west-2",
    "eu-west-1",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-northeast-1",
    "sa-east-1",
)
MIN_CHECKER_REGIONS: Final = 3
HEALTH_CHECK_INTERVALS: Final[tuple[int, ...]] = (10, 30)
FAILURE_THRESHOLD_RANGE: Final = (1, 10)
# An endpoint is healthy when MORE than this share of checkers report it healthy.
HEALTHY_CHECKER_SHARE: Final = 0.18

# DynamoDB multi-Region strong consistency: exactly 3 regions inside one of these sets.
MRSC_REGION_SETS: Final[dict[str, frozenset[str]]] = {
    "US": frozenset({"us-east-1", "us-east-2", "us-west-2"}),
    "EU": frozenset({"eu-west-1", "eu-west-2", "eu-west-3", "eu-central-1"}),
    "AP": frozenset({"ap-northeast-1", "ap-northeast-2", "ap-northeast-3"}),
}
