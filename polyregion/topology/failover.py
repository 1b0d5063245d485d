"""The failover bound: one formula, used by the sandbox, the dashboard, the drills and the docs.

A region's users wait at most:

    interval x threshold + probe timeout + TTL

- interval x threshold: Route 53 needs `threshold` failed probes in a row, one per interval;
- probe timeout: the last failing probe may itself hang until its budget runs out (connect +
  response: 4 s + 2 s on AWS) when the region is slow rather than refusing;
- TTL: then every resolver's cached answer (origin records) must expire.

A dead region refuses connections at once, so it usually fails over a probe timeout sooner;
the bound is the worst case, and every place that shows a bound shows this one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

FORMULA: Final = "interval x threshold + probe timeout + TTL"

# Route 53's HTTP check: TCP connect within 4 s, then a 2xx/3xx status within 2 s.
AWS_CONNECT_TIMEOUT_S: Final = 4.0
AWS_RESPONSE_TIMEOUT_S: Final = 2.0


@dataclass(frozen=True, slots=True)
class FailoverBound:
    interval_s: float
    failure_threshold: int
    probe_timeout_s: float  # connect + response budget of one probe
    ttl_s: float

    @property
    def detection_s(self) -> float:
        """Failure to the checkers agreeing (before any cached answer expires)."""
        return self.interval_s * self.failure_threshold + self.probe_timeout_s

    @property
    def total_s(self) -> float:
        return self.detection_s + self.ttl_s

    def explain(self) -> str:
        """`1 s x 2 + 2.5 s + 1 s = 5.5 s`: the same text in status, drills and reports."""
        return (
            f"{self.interval_s:g} s x {self.failure_threshold} + {self.probe_timeout_s:g} s"
            f" + {self.ttl_s:g} s = {self.total_s:g} s"
        )

    def as_dict(self) -> dict[str, float | int | str]:
        return {
            "formula": FORMULA,
            "interval_s": self.interval_s,
            "failure_threshold": self.failure_threshold,
            "probe_timeout_s": self.probe_timeout_s,
            "ttl_s": self.ttl_s,
            "bound_s": self.total_s,
            "text": self.explain(),
        }
