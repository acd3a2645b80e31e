"""Evaluation of a hot spots programme: design, effects, measures, displacement and cost."""

from hspwork.evaluation.design import (
    Assignment,
    DesignRecord,
    PowerResult,
    assign,
    balance_table,
    estimate_dispersion,
    minimum_detectable_effect,
    power_simulation,
)
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
    "Assignment",
    "DesignRecord",
    "EffectResult",
    "EventStudyResult",
    "PowerResult",
    "RIRRResult",
    "RandomisationResult",
    "WDDResult",
    "WDQResult",
    "assign",
    "balance_table",
    "estimate_dispersion",
    "estimate_effect",
    "event_study",
    "minimum_detectable_effect",
    "power_simulation",
    "randomisation_inference",
    "rirr",
    "wdd",
    "wdq",
]
