#!/usr/bin/env python3
"""Conley (1999) spatial HAC standard errors for the models' vcov: {conley: …}, by a direct numpy
implementation of the formula (no library): V = (X'X)⁻¹ [Σ_i Σ_j w_ij x_i e_i e_j x_j'] (X'X)⁻¹,
w_ij the kernel of the haversine distance (radius 6371.01 km) — uniform 1{d ≤ c} or Bartlett
(1 − d/c)₊ — over pairs of the same period, plus, with a unit lag L, a unit's pairs l ≤ L periods
apart weighted 1 − l/(L + 1); no small-sample factor. On points with known coordinates in
eastern China (seeded), errors correlated over space:

- conley_cross.csv, 500 points: y ~ x1 + x2 (intercept), uniform 500 km and Bartlett 800 km;
- conley_panel.csv, 120 units × 6 years (balanced): y ~ x1 + x2 | unit + year (two-way demeaned,
  exact in a balanced panel), uniform 300 km within each year, and Bartlett 600 km with each
  unit's correlation over 2 years.

Writes conley_reference.json.

    python3 -m venv /tmp/cl && /tmp/cl/bin/pip install numpy pandas && /tmp/cl/bin/python ref_conley.py
"""
import json
import os

import numpy as np
import pandas as pd

here = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(1999)
R = 6371.01


def haversine(lat1, lon1, lat2, lon2):
    p = np.pi / 180
    a = np.sin((lat2 - lat1) * p / 2) ** 2 + np.cos(lat1 * p) * np.cos(lat2 * p) * np.sin((lon2 - lon1) * p / 2) ** 2
    return 2 * R * np.arcsin(np.minimum(1, np.sqrt(a)))


def spatial_field(lat, lon, scale):
    """A smooth random field: a sum of bumps at 40 random centres."""
    centres = np.column_stack([rng.uniform(20, 45, 40), rng.uniform(100, 125, 40)])
    weights = rng.normal(size=40)
    d = haversine(lat[:, None], lon[:, None], centres[None, :, 0], centres[None, :, 1])
    return (np.exp(-(d / scale) ** 2) * weights).sum(1)


def conley(X, e, lat, lon, cutoff, kernel, period=None, unit=None, lag=0):
    s = X * e[:, None]
    n = len(e)
    period = np.zeros(n, int) if period is None else period
    d = haversine(lat[:, None], lon[:, None], lat[None, :], lon[None, :])
    same = period[:, None] == period[None, :]
    w = np.where(d <= cutoff, 1.0 if kernel == "uniform" else 1 - d / cutoff, 0.0) * same
    np.fill_diagonal(w, 1.0)
    if lag > 0:
        gap = np.abs(period[:, None] - period[None, :])
        serial = (unit[:, None] == unit[None, :]) & (gap > 0) & (gap <= lag)
        w = w + np.where(serial, 1 - gap / (lag + 1), 0.0)
    meat = s.T @ w @ s
    bread = np.linalg.inv(X.T @ X)
    return bread @ meat @ bread


out = {}
# Cross-section.
n = 500
lat, lon = rng.uniform(20, 45, n), rng.uniform(100, 125, n)
x1 = spatial_field(lat, lon, 400) + rng.normal(size=n)
x2 = rng.normal(size=n)
u = 2 * spatial_field(lat, lon, 300) + rng.normal(size=n)
y = 1 + 0.5 * x1 - 0.3 * x2 + u
cross = pd.DataFrame({"lat": lat.round(6), "lon": lon.round(6), "x1": x1.round(6), "x2": x2.round(6), "y": y.round(6)})
cross.to_csv(os.path.join(here, "conley_cross.csv"), index=False)
X = np.column_stack([np.ones(n), cross.x1, cross.x2])
b = np.linalg.solve(X.T @ X, X.T @ cross.y)
e = cross.y - X @ b
for name, cutoff, kernel in [("cross_uniform_500", 500, "uniform"), ("cross_bartlett_800", 800, "bartlett")]:
    V = conley(X, e.to_numpy(), cross.lat.to_numpy(), cross.lon.to_numpy(), cutoff, kernel)
    out[name] = {"terms": ["(Intercept)", "x1", "x2"], "coef": list(b), "se": list(np.sqrt(np.diag(V)))}

# Panel: 120 units fixed in space, 6 years.
units, years = 120, 6
ulat, ulon = rng.uniform(22, 42, units), rng.uniform(105, 122, units)
rows = []
field = spatial_field(ulat, ulon, 350)
for t in range(years):
    shock = spatial_field(ulat, ulon, 250)
    for i in range(units):
        rows.append((i + 1, 2010 + t, ulat[i], ulon[i], field[i] + rng.normal(), rng.normal(), shock[i]))
panel = pd.DataFrame(rows, columns=["unit", "year", "lat", "lon", "x1", "x2", "shock"])
unit_effect = rng.normal(size=units + 1)[panel.unit]
panel["y"] = 0.8 * panel.x1 + 0.4 * panel.x2 + unit_effect + 0.1 * (panel.year - 2010) + 1.5 * panel.shock + rng.normal(size=len(panel))
panel = panel.drop(columns="shock")
for column in ["lat", "lon", "x1", "x2", "y"]:
    panel[column] = panel[column].round(6)
panel.to_csv(os.path.join(here, "conley_panel.csv"), index=False)


def two_way(v):
    v = pd.Series(v)
    return (v - v.groupby(panel.unit).transform("mean") - v.groupby(panel.year).transform("mean") + v.mean()).to_numpy()


X = np.column_stack([two_way(panel.x1), two_way(panel.x2)])
yt = two_way(panel.y)
b = np.linalg.solve(X.T @ X, X.T @ yt)
e = yt - X @ b
for name, cutoff, kernel, lag in [("panel_uniform_300", 300, "uniform", 0), ("panel_bartlett_600_lag2", 600, "bartlett", 2)]:
    V = conley(X, e, panel.lat.to_numpy(), panel.lon.to_numpy(), cutoff, kernel, period=panel.year.to_numpy(), unit=panel.unit.to_numpy(), lag=lag)
    out[name] = {"terms": ["x1", "x2"], "coef": list(b), "se": list(np.sqrt(np.diag(V)))}
with open(os.path.join(here, "conley_reference.json"), "w") as f:
    json.dump(out, f, indent=1)
print(json.dumps(out, indent=1))
