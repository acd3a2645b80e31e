"""Targeting statistics: where to put hot spots policing (one statistic a module)."""

from hspwork.targeting.gistar import gistar

__all__ = ["gistar"]
