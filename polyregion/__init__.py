"""polyregion: a multi-region web frontend on AWS, and the means to prove its failover works."""

from __future__ import annotations

__version__ = "0.1.0"
