"""Evaluation of a hot spots programme: design, effects, measures, displacement and cost."""

from hspwork.evaluation.measures import RIRRResult, WDDResult, WDQResult, rirr, wdd, wdq

__all__ = ["RIRRResult", "WDDResult", "WDQResult", "rirr", "wdd", "wdq"]
