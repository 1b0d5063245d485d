from __future__ import annotations

from pathlib import Path
from typing import Any

from polyregion.lint.graph import NO_VALUE, App, Unresolved
from polyregion.lint.model import Stack


def stack(name: str, template: dict[str, Any], region: str | None = "eu-west-1") -> Stack:
    return Stack(name, Path(f"{name}.json"), template, region, "111122223333")


WEB = stack(
    "web",
    {
        "Parameters": {"Env": {"Type": "String", "Default": "prod"}, "Free": {"Type": "String"}},
        "Mappings": {"Zones": {"eu-west-1": {"Id": "Z1"}}},
        "Resources": {
            "Url": {"Type": "AWS::Lambda::Url", "Properties": {"AuthType": "NONE"}},
            "Bucket": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "assets-eu"}},
        },
    },
)


def resolve(value: Any, s: Stack = WEB, *others: Stack) -> Any:
    return App([s, *others]).resolve(s, value)


def test_function_url_host_survives_split_and_select() -> None:
    host = {"Fn::Select": [2, {"Fn::Split": ["/", {"Fn::GetAtt": ["Url", "FunctionUrl"]}]}]}
    assert resolve(host) == "<Url>.lambda-url.eu-west-1.on.aws"


def test_sub_join_refs_and_pseudo_parameters() -> None:
    assert resolve({"Fn::Sub": "${Env}-${AWS::Region}-${Bucket}"}) == "prod-eu-west-1-assets-eu"
    assert resolve({"Fn::Sub": ["${X}/${!Literal}", {"X": {"Ref": "AWS::AccountId"}}]}) == (
        "111122223333/${Literal}"
    )
    assert resolve({"Fn::Join": [":", ["a", {"Ref": "AWS::Partition"}]]}) == "a:aws"
    assert resolve({"Fn::GetAtt": ["Bucket", "Arn"]}) == "arn:aws:s3:::assets-eu"
    assert resolve({"Fn::FindInMap": ["Zones", {"Ref": "AWS::Region"}, "Id"]}) == "Z1"


def test_what_cannot_be_decided_is_unresolved() -> None:
    assert isinstance(resolve({"Ref": "Free"}), Unresolved)
    assert isinstance(resolve({"Fn::GetAtt": ["Nope", "Arn"]}), Unresolved)
    assert isinstance(resolve({"Fn::If": ["C", "a", "b"]}), Unresolved)
    assert isinstance(resolve({"Fn::Join": ["", ["a", {"Ref": "Free"}]]}), Unresolved)


def test_if_with_novalue_keeps_what_can_be_deployed() -> None:
    value = {"Fn::If": ["C", {"Rules": [1]}, {"Ref": "AWS::NoValue"}]}
    assert resolve(value) == {"Rules": [1]}
    assert resolve({"Ref": "AWS::NoValue"}) is NO_VALUE
    assert resolve({"A": {"Ref": "AWS::NoValue"}, "B": 1}) == {"B": 1}


def test_import_value_only_sees_exports_of_the_same_region() -> None:
    out = {"Outputs": {"O": {"Value": "vpc-1", "Export": {"Name": "shared"}}}, "Resources": {}}
    here = stack("app", {"Resources": {}})
    same = stack("net", out)
    other = stack("net", out, region="us-east-1")
    assert App([here, same]).resolve(here, {"Fn::ImportValue": "shared"}) == "vpc-1"
    far = App([here, other]).resolve(here, {"Fn::ImportValue": "shared"})
    assert isinstance(far, Unresolved) and "eu-west-1" in far.reason


def test_unknown_region_stays_a_placeholder() -> None:
    s = stack("x", {"Resources": {}}, region=None)
    assert resolve({"Ref": "AWS::Region"}, s) == "<Region>"
