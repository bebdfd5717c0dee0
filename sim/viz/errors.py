"""The one error of the pictures."""

from __future__ import annotations

__all__ = ["ReplayError"]


class ReplayError(ValueError):
    """A replay option that cannot work with this run (the message says why)."""
