"""Targeting statistics: where to put hot spots policing (one statistic a module)."""

from hspwork.targeting.gistar import gistar
from hspwork.targeting.lisa import lisa

__all__ = ["gistar", "lisa"]
