"""devmetrics: is the reimagined tech function working? Throughput, review quality and debt, from data."""

from __future__ import annotations

__version__ = "0.1.0"
