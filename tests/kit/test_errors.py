from __future__ import annotations

import pytest
from botocore.exceptions import (
    ClientError,
    EndpointConnectionError,
    ParamValidationError,
    ReadTimeoutError,
)

from polyregion.kit import aws_error_code, is_unavailable


def client_error(code: str, status: int = 400) -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": "m"}, "ResponseMetadata": {"HTTPStatusCode": status}},
        "PutItem",
    )


@pytest.mark.parametrize(
    ("exc", "unavailable"),
    [
        (client_error("ThrottlingException"), True),
        (client_error("ProvisionedThroughputExceededException"), True),
        (client_error("SomethingNew", 503), True),
        (client_error("ValidationException"), False),
        (client_error("AccessDeniedException"), False),
        (client_error("ResourceNotFoundException"), False),
        (EndpointConnectionError(endpoint_url="http://127.0.0.1:9"), True),
        (ReadTimeoutError(endpoint_url="http://127.0.0.1:9"), True),
        (ParamValidationError(report="bad"), False),
        (UnicodeEncodeError("utf-8", "\ud800", 0, 1, "surrogates not allowed"), False),
    ],
)
def test_unavailability_versus_bugs(exc: Exception, unavailable: bool) -> None:
    assert is_unavailable(exc) is unavailable


def test_the_code_is_the_aws_one_else_the_class() -> None:
    assert aws_error_code(client_error("AccessDeniedException")) == "AccessDeniedException"
    assert aws_error_code(ValueError("x")) == "ValueError"
