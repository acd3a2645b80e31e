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

For programmes that were not randomised, :func:`choose_design` reads which design the data
show: a roll-out goes to :func:`staggered_effect` (imputation estimator), a chosen set to
:func:`match_controls` (regression to the mean, :data:`REGRESSION_TO_THE_MEAN`).
:func:`residual_deterrence` asks how long visits should be (Koper 1995), and
:func:`harm_swing` says why harm moves more than counts. Fixed effects are absorbed
(:mod:`~hspwork.evaluation.fixed_effects`), so force-wide panels fit in seconds.

Every function takes harm-weighted outcomes as well as crime counts.
"""

from hspwork.evaluation.choice import DesignChoice, choose_design
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
from hspwork.evaluation.deterrence import DeterrenceResult, residual_deterrence
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
from hspwork.evaluation.harm_swing import HarmSwing, harm_swing
from hspwork.evaluation.matching import (
    REGRESSION_TO_THE_MEAN,
    MatchResult,
    comparison_pool,
    match_controls,
)
from hspwork.evaluation.measures import RIRRResult, WDDResult, WDQResult, rirr, wdd, wdq
from hspwork.evaluation.panel import add_patrol, crime_panel, place_table
from hspwork.evaluation.staggered import StaggeredResult, staggered_effect

__all__ = [
    "REGRESSION_TO_THE_MEAN",
    "Assignment",
    "ComplierResult",
    "CostBenefitResult",
    "DesignChoice",
    "DesignRecord",
    "DeterrenceResult",
    "DisplacementResult",
    "DoseResponseResult",
    "EffectResult",
    "EventStudyResult",
    "HarmSwing",
    "MatchResult",
    "PowerResult",
    "RIRRResult",
    "RandomisationResult",
    "StaggeredResult",
    "WDDResult",
    "WDQResult",
    "add_patrol",
    "assign",
    "balance_table",
    "choose_design",
    "comparison_pool",
    "complier_effect",
    "cost_benefit",
    "crime_panel",
    "displacement",
    "dose_response",
    "estimate_dispersion",
    "estimate_effect",
    "event_study",
    "harm_swing",
    "match_controls",
    "minimum_detectable_effect",
    "officer_hours",
    "place_table",
    "power_simulation",
    "randomisation_inference",
    "residual_deterrence",
    "ring_areas",
    "rirr",
    "staggered_effect",
    "unit_costs",
    "wdd",
    "wdq",
]
