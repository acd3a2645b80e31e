"""Targeting statistics: where to put hot spots policing (one statistic a module).

* :func:`gistar` Getis-Ord Gi* hot spots; :func:`lisa` Local Moran's I clusters and outliers;
* :func:`emerging_hotspots` Esri-style categories over a space-time cube;
* :func:`concentration` Lorenz curve, Gini and generalised Gini, top-share figures;
* :func:`default_scale`, :func:`compare_scales`, :func:`pai` the choice of scale;
* :func:`select` and :func:`capacity` the places the officers can cover;
* :func:`place_profile` when and what at a place; :func:`aoristic_weights`;
* :func:`plot_gistar`, :func:`plot_lisa`, :func:`plot_surface_3d` static figures.
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
from hspwork.targeting.emerging import CATEGORIES, EmergingHotSpots, emerging_hotspots, mann_kendall
from hspwork.targeting.gistar import gistar
from hspwork.targeting.lisa import lisa
from hspwork.targeting.plots import plot_gistar, plot_lisa, plot_surface_3d
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
    "aoristic_weights",
    "capacity",
    "compare_scales",
    "concentration",
    "default_scale",
    "emerging_hotspots",
    "generalised_gini",
    "gini",
    "gistar",
    "lisa",
    "lorenz",
    "mann_kendall",
    "pai",
    "place_profile",
    "places_for_share",
    "plot_gistar",
    "plot_lisa",
    "plot_surface_3d",
    "select",
    "share_in_top",
]
