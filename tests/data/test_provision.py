from __future__ import annotations

import pytest

from polyregion.data.clients import clients_for
from polyregion.data.provision import provision_region
from polyregion.topology import from_dict, naming

pytestmark = pytest.mark.functional


def test_provision_creates_every_resource_idempotently(moto_url: str) -> None:
    topo = from_dict({"app": {"name": "prov-test"}})
    for region in topo.region_names:
        clients = clients_for(region, {region: moto_url})
        provision_region(topo, region, clients, secret_value="s3cr3t")
        provision_region(topo, region, clients, secret_value="other")  # second run: no error

        blog = naming.table(topo, naming.BLOG_TABLE)
        table = clients.dynamodb.describe_table(TableName=blog)["Table"]
        assert table["StreamSpecification"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
        assert {i["IndexName"] for i in table["GlobalSecondaryIndexes"]} == {"by-slug", "by-kind"}
        audit = naming.table(topo, "signin-audit")
        ttl = clients.dynamodb.describe_time_to_live(TableName=audit)["TimeToLiveDescription"]
        assert ttl["TimeToLiveStatus"] == "ENABLED" and ttl["AttributeName"] == "expires_at"
        bucket = naming.bucket(topo, region)
        assert clients.s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
        secret = clients.secretsmanager.get_secret_value(SecretId=naming.session_secret(topo))
        assert secret["SecretString"] == "s3cr3t"  # the first value stays
