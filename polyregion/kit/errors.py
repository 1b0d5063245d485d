"""AWS errors: unavailability (answer 503, retry shortly) versus bugs (answer 500, fix the code).

Treating every AWS error as "the data store is not answering" hides bugs: an AccessDenied (a
missing IAM permission) or a ValidationException (a malformed request) never goes away by
retrying, yet would be answered 503 "retry shortly" and logged as a bare "ClientError". So:
throttling, server-side errors and connection failures are unavailability; every other client
error is a bug. Either way the AWS error code is what to log.
"""

from __future__ import annotations

from typing import Final

# Client errors that mean "too busy or briefly unable", not "wrong request".
UNAVAILABLE_CODES: Final = frozenset(
    {
        "ThrottlingException",
        "Throttling",
        "ThrottledException",
        "RequestLimitExceeded",
        "ProvisionedThroughputExceededException",
        "TransactionInProgressException",
        "RequestThrottled",
        "SlowDown",
        "ServiceUnavailable",
        "InternalServerError",
        "InternalError",
        "InternalFailure",
        "InternalServiceError",
        "RequestTimeout",
        "RequestTimeoutException",
        "LimitExceededException",
    }
)
# botocore exceptions (by class name: botocore is not imported here) that mean the endpoint
# could not be reached or did not answer in time.
UNREACHABLE_CLASSES: Final = frozenset(
    {
        "EndpointConnectionError",
        "ConnectionClosedError",
        "ConnectTimeoutError",
        "ReadTimeoutError",
        "ConnectionError",
        "HTTPClientError",
        "ProxyConnectionError",
        "SSLError",
    }
)


def aws_error_code(exc: BaseException) -> str:
    """The AWS error code of a botocore ClientError, else the exception's class name."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        code = response.get("Error", {}).get("Code")
        if code:
            return str(code)
    return type(exc).__name__


def is_unavailable(exc: BaseException) -> bool:
    """True when retrying later can help (503); False for a bug in the request (500)."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):  # a ClientError: AWS answered
        status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return aws_error_code(exc) in UNAVAILABLE_CODES or (
            isinstance(status, int) and status >= 500
        )
    return any(cls.__name__ in UNREACHABLE_CLASSES for cls in type(exc).__mro__)
