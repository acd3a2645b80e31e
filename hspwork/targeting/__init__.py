"""Targeting statistics: where to put hot spots policing (one statistic a module).

* :func:`gistar` Getis-Ord Gi* hot spots; :func:`lisa` Local Moran's I clusters and outliers;
* :func:`emerging_hotspots` Esri-style categories over a space-time cube;
* :func:`concentration` Lorenz curve, Gini and generalised Gini, top-share figures;
* :func:`default_scale`, :func:`compare_scales`, :func:`pai` the choice of scale;
* :func:`select` and :func:`capacity` the places the officers can cover;
* :func:`explain_selection` why each chosen place is, or is not, a Gi* hot spot;
* :func:`place_profile` when and what at a place; :func:`aoristic_weights`;
* :func:`plot_gistar`, :func:`plot_lisa`, :func:`plot_units`, :func:`plot_surface_3d` static
  figures.
"""

from hspwork.targeting.concentration import (
    Concentration,
    concentration,
    generalised_gini,
    gini,
    lorenz,
    places_for_share,
    share_in_top,
)
from hspwork.targeting.emerging import (
    CATEGORIES,
    EmergingHotSpots,
    emerging_hotspots,
    mann_kendall,
    mann_kendall_min_periods,
)
from hspwork.targeting.explain import SelectionExplanation, explain_selection
from hspwork.targeting.gistar import gistar
from hspwork.targeting.lisa import lisa
from hspwork.targeting.plots import plot_gistar, plot_lisa, plot_surface_3d, plot_units
from hspwork.targeting.profile import PlaceProfile, aoristic_weights, place_profile
from hspwork.targeting.scale import Scale, compare_scales, default_scale, pai
from hspwork.targeting.select import Selection, capacity, select

__all__ = [
    "CATEGORIES",
    "Concentration",
    "EmergingHotSpots",
    "PlaceProfile",
    "Scale",
    "Selection",
    "SelectionExplanation",
    "aoristic_weights",
    "capacity",
    "compare_scales",
    "concentration",
    "default_scale",
    "emerging_hotspots",
    "explain_selection",
    "generalised_gini",
    "gini",
    "gistar",
    "lisa",
    "lorenz",
    "mann_kendall",
    "mann_kendall_min_periods",
    "pai",
    "place_profile",
    "places_for_share",
    "plot_gistar",
    "plot_lisa",
    "plot_surface_3d",
    "plot_units",
    "select",
    "share_in_top",
]
