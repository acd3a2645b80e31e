"""Evaluation of a hot spots programme: design, effects, measures, displacement and cost.

The order an analyst follows:

1. ``design``: :func:`assign` places (simple, block or matched pairs, from a seed) with a
   citable :class:`DesignRecord`; :func:`balance_table`; :func:`estimate_dispersion`,
   :func:`power_simulation` and :func:`minimum_detectable_effect` to size the trial.
2. ``panel``: :func:`crime_panel` counts crimes and harm per place and period,
   :func:`add_patrol` adds tracking's patrol minutes, :func:`place_table` sums per place.
3. ``effects``: :func:`estimate_effect` (fixed-effects count models, errors clustered by
   place), :func:`randomisation_inference` under the same design, :func:`event_study`.
4. ``dose``: :func:`complier_effect` (intention to treat first, then patrol with assignment
   as the instrument) and the descriptive :func:`dose_response`.
5. ``measures`` and ``displacement``: :func:`rirr`, :func:`wdd`, :func:`wdq`; rings around
   the fences with :func:`ring_areas` and :func:`displacement`.
6. ``economics``: :func:`officer_hours`, :func:`cost_benefit` with :func:`unit_costs`.

Every function takes harm-weighted outcomes as well as crime counts.
"""

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
