"""The hot spots trial: choosing the spots, block randomisation, and the planted effect."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from hspwork.sample.crimes import CrimeDraw
from hspwork.sample.town import Town

N_SPOTS = 40
BLOCK_SIZE = 4
MIN_CENTRE_GAP_M = 500.0  # control spots kept clear of treated ones (REFERENCES: >= 500 m)
SEARCH_RADIUS_M = 100.0  # crime counted around a junction when ranking candidates
ARM_M = 90.0  # how far along each street from the junction a fence reaches
FENCE_BUFFER_M = 22.0  # half-width of the fence around the streets


@dataclass
class Spots:
    """The 40 trial spots."""

    table: pd.DataFrame  # fence_id, name, role, block, node, cx, cy, beat_id, pre_crimes
    geoms: np.ndarray  # Polygon per row
    rings: np.ndarray  # 150 m ring (fence buffered, fence removed) per row


def select_spots(
    town: Town, crimes: CrimeDraw, pre_end_utc_s: int, rng: np.random.Generator
) -> Spots:
    """Pick 40 compact micro places from pre-period crime and block-randomise them 20/20.

    Candidates are street junctions ranked by pre-period crime within 100 m; a greedy pass
    keeps the busiest junctions whose centres lie at least 500 m apart. Each fence covers
    the first 90 m of every street leaving the junction, 22 m either side, as a convex
    polygon (radius <= ~115 m). Spots are sorted by pre-period crime inside the fence and
    cut into blocks of four; two of each block are treated, drawn from ``rng``.

    Examples
    --------
    >>> from hspwork.sample.town import build_town
    >>> from hspwork.sample.crimes import draw_crimes
    >>> rng = np.random.default_rng(5)
    >>> town = build_town(rng)
    >>> crimes = draw_crimes(town, rng, start_local="2024-01-01", end_local="2025-01-01",
    ...                      crimes_per_year=8000)
    >>> spots = select_spots(town, crimes, int(crimes.t_true.max()) + 1, rng)
    >>> spots.table["role"].value_counts().to_dict()
    {'treatment': 20, 'control': 20}
    >>> bool(spots.table.groupby("block")["role"].nunique().eq(2).all())
    True
    """
    pre = crimes.t_true < pre_end_utc_s
    px, py = crimes.x[pre], crimes.y[pre]
    st = town.streets
    used_nodes = np.unique(np.concatenate([st["node0"].to_numpy(), st["node1"].to_numpy()]))
    nxy = town.nodes_xy[used_nodes]
    tree = cKDTree(np.column_stack([px, py]))
    counts = tree.query_ball_point(nxy, r=SEARCH_RADIUS_M, return_length=True)
    order = np.lexsort((used_nodes, -counts))
    chosen: list[int] = []
    # a greedy pass over at most a few thousand junctions; the 50 m margin keeps the fences'
    # centroids (not only the junctions) 500 m apart
    for k in order:
        if all(np.hypot(*(nxy[k] - nxy[j])) >= MIN_CENTRE_GAP_M + 50 for j in chosen):
            chosen.append(int(k))
            if len(chosen) == N_SPOTS:
                break
    nodes = used_nodes[chosen]
    geoms = []
    for node in nodes:
        cx, cy = town.nodes_xy[node]
        inc = (st["node0"].to_numpy() == node) | (st["node1"].to_numpy() == node)
        arms = shapely.intersection(town.street_geoms[inc], shapely.Point(cx, cy).buffer(ARM_M))
        poly = shapely.union_all(arms).buffer(FENCE_BUFFER_M, quad_segs=4).convex_hull
        geoms.append(shapely.set_precision(poly, 0.1))
    geoms = np.array(geoms, dtype=object)
    pre_in = np.array([shapely.contains_xy(g, px, py).sum() for g in geoms])
    beat_of = _beat_of(town, town.nodes_xy[nodes])

    # fence ids in descending pre-period crime (ties: west to east), blocks of four
    rank = np.lexsort((town.nodes_xy[nodes, 0], -pre_in))
    nodes, geoms, pre_in, beat_of = nodes[rank], geoms[rank], pre_in[rank], beat_of[rank]
    block = np.arange(N_SPOTS) // BLOCK_SIZE + 1
    role = np.empty(N_SPOTS, dtype=object)
    for b in range(N_SPOTS // BLOCK_SIZE):
        perm = rng.permutation(BLOCK_SIZE)
        role[b * BLOCK_SIZE + perm[:2]] = "treatment"
        role[b * BLOCK_SIZE + perm[2:]] = "control"
    table = pd.DataFrame(
        {
            "fence_id": [f"HS{k:02d}" for k in range(1, N_SPOTS + 1)],
            "name": [town.node_names[n] for n in nodes],
            "role": role,
            "block": block,
            "node": nodes,
            "cx": town.nodes_xy[nodes, 0],
            "cy": town.nodes_xy[nodes, 1],
            "beat_id": beat_of,
            "pre_crimes": pre_in,
        }
    )
    rings = np.array([shapely.difference(g.buffer(150.0, quad_segs=8), g) for g in geoms])
    return Spots(table, geoms, rings)


def _beat_of(town: Town, xy: np.ndarray) -> np.ndarray:
    out = np.full(len(xy), "", dtype=object)
    for bid, g in zip(town.beats["beat_id"], town.beat_geoms):
        out[shapely.contains_xy(g, xy[:, 0], xy[:, 1])] = bid
    return out


@dataclass
class Effect:
    """Which crimes the planted effect removed, and the counts a test can check."""

    keep: np.ndarray  # bool per crime of the draw
    per_spot: pd.DataFrame  # fence_id, role, trial_counterfactual, trial_observed
    ring_counterfactual: int
    ring_observed: int


def apply_effect(
    crimes: CrimeDraw,
    spots: Spots,
    trial_start_utc_s: int,
    trial_end_utc_s: int,
    *,
    irr_treated: float,
    irr_ring: float,
    rng: np.random.Generator,
) -> Effect:
    """Thin trial-period crime: keep each with probability ``irr_treated`` inside treated
    fences and ``irr_ring`` in their 150 m rings (outside every fence); controls untouched.

    Thinning a Poisson process by p leaves a Poisson process with rate p times the original,
    so the expected incident rate ratio against the counterfactual is exactly ``irr_treated``.

    Examples
    --------
    >>> from hspwork.sample.town import build_town
    >>> from hspwork.sample.crimes import draw_crimes
    >>> rng = np.random.default_rng(5)
    >>> town = build_town(rng)
    >>> crimes = draw_crimes(town, rng, start_local="2024-01-01", end_local="2025-01-01",
    ...                      crimes_per_year=8000)
    >>> cut = int(crimes.t_true.min()) + 300 * 86400  # the last ~two months as a "trial"
    >>> spots = select_spots(town, crimes, cut, rng)
    >>> eff = apply_effect(crimes, spots, cut, int(crimes.t_true.max()) + 1,
    ...                    irr_treated=0.5, irr_ring=1.0, rng=rng)
    >>> ps = eff.per_spot
    >>> bool((ps.loc[ps.role == "control", "trial_observed"]
    ...       == ps.loc[ps.role == "control", "trial_counterfactual"]).all())
    True
    >>> t = ps[ps.role == "treatment"]
    >>> bool(0.35 < t.trial_observed.sum() / t.trial_counterfactual.sum() < 0.65)
    True
    """
    n = len(crimes.x)
    in_trial = (crimes.t_true >= trial_start_utc_s) & (crimes.t_true < trial_end_utc_s)
    treated = spots.table["role"].to_numpy() == "treatment"
    in_fence = np.full(n, -1)
    for k, g in enumerate(spots.geoms):
        in_fence[shapely.contains_xy(g, crimes.x, crimes.y)] = k
    in_ring = np.zeros(n, bool)
    for k in np.flatnonzero(treated):
        in_ring |= shapely.contains_xy(spots.rings[k], crimes.x, crimes.y)
    in_ring &= in_fence < 0
    u = rng.random(n)
    p_keep = np.ones(n)
    tr_fence = (in_fence >= 0) & treated[np.maximum(in_fence, 0)]
    p_keep[in_trial & tr_fence] = irr_treated
    p_keep[in_trial & in_ring] = irr_ring
    keep = u < p_keep
    m = in_trial & (in_fence >= 0)
    cf = np.bincount(in_fence[m], minlength=len(treated))
    obs = np.bincount(in_fence[m & keep], minlength=len(treated))
    per_spot = pd.DataFrame(
        {
            "fence_id": spots.table["fence_id"],
            "role": spots.table["role"],
            "trial_counterfactual": cf,
            "trial_observed": obs,
        }
    )
    ring = in_trial & in_ring
    return Effect(keep, per_spot, int(ring.sum()), int((ring & keep).sum()))
