"""Failover drills and replication-lag probes: `polyregion drill` and `polyregion lag`.

One drill engine (`engine.py`) runs every scenario against a `Target` (`target.py`): the local
sandbox (`sandbox_target.py`) or real AWS (`aws_target.py`). Only the fault actions and the
probes differ per target; measuring (`measure.py`), gating (`slo.py`) and reporting
(`report.py`, `chart.py`) are shared.
"""
