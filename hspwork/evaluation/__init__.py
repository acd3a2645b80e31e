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
from hspwork.evaluation.displacement import DisplacementResult, displacement, ring_areas
from hspwork.evaluation.dose import (
    ComplierResult,
    DoseResponseResult,
    complier_effect,
    dose_response,
)
from hspwork.evaluation.economics import CostBenefitResult, cost_benefit, officer_hours, unit_costs
from hspwork.evaluation.effects import (
    EffectResult,
    EventStudyResult,
    RandomisationResult,
    estimate_effect,
    event_study,
    randomisation_inference,
)
from hspwork.evaluation.measures import RIRRResult, WDDResult, WDQResult, rirr, wdd, wdq
from hspwork.evaluation.panel import add_patrol, crime_panel, place_table

__all__ = [
    "Assignment",
    "ComplierResult",
    "CostBenefitResult",
    "DesignRecord",
    "DisplacementResult",
    "DoseResponseResult",
    "EffectResult",
    "EventStudyResult",
    "PowerResult",
    "RIRRResult",
    "RandomisationResult",
    "WDDResult",
    "WDQResult",
    "add_patrol",
    "assign",
    "balance_table",
    "complier_effect",
    "cost_benefit",
    "crime_panel",
    "displacement",
    "dose_response",
    "estimate_dispersion",
    "estimate_effect",
    "event_study",
    "minimum_detectable_effect",
    "officer_hours",
    "place_table",
    "power_simulation",
    "randomisation_inference",
    "ring_areas",
    "rirr",
    "unit_costs",
    "wdd",
    "wdq",
]
