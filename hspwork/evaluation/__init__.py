"""Evaluation of a hot spots programme: design, effects, measures, displacement and cost."""

from hspwork.evaluation.effects import (
    EffectResult,
    EventStudyResult,
    RandomisationResult,
    estimate_effect,
    event_study,
    randomisation_inference,
)
from hspwork.evaluation.measures import RIRRResult, WDDResult, WDQResult, rirr, wdd, wdq

__all__ = [
    "EffectResult",
    "EventStudyResult",
    "RIRRResult",
    "RandomisationResult",
    "WDDResult",
    "WDQResult",
    "estimate_effect",
    "event_study",
    "randomisation_inference",
    "rirr",
    "wdd",
    "wdq",
]
