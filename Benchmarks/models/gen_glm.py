#!/usr/bin/env python3
"""Generated panels for the GLM benchmark (issue 20), seeded, with planted coefficients.

  python3 gen_glm.py gravity ROWS SEED OUT.csv
      A bilateral panel: n countries × (n − 1) partners × 20 years with n chosen so the rows
      reach ROWS (500 countries at 5M). trade ~ Poisson(exp(0.3·rta − 1.0·ltariff + exporter-year
      + importer-year + pair)) with 15% structural zeros on top (~45% zeros in all).
  python3 gen_glm.py firms ROWS SEED OUT.csv
      ROWS / 20 firms × 20 years (250,000 firms at 5M). export ~ Bernoulli(Λ(0.8·x1 − 0.5·x2 +
      firm + year)), firm effects N(0, 1).
"""
import sys

import numpy as np
import pandas as pd

kind, rows, seed, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
rng = np.random.default_rng(seed)
years = 20
if kind == "gravity":
    n = int(np.ceil((1 + np.sqrt(1 + 4 * rows / years)) / 2))
    exporter, importer = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    keep = exporter != importer
    exporter, importer = exporter[keep], importer[keep]
    pairs = len(exporter)
    e = np.repeat(exporter, years)
    i = np.repeat(importer, years)
    t = np.tile(np.arange(years), pairs)
    pair = np.repeat(np.arange(pairs), years)
    exporter_year = rng.normal(0, 0.7, (n, years))
    importer_year = rng.normal(0, 0.7, (n, years))
    pair_effect = rng.normal(0, 1.0, pairs)
    rta = (rng.random(len(e)) < 0.1 + 0.02 * t).astype(np.int8)
    ltariff = np.round(rng.uniform(0, 0.3, len(e)), 6)
    eta = 0.3 * rta - 1.0 * ltariff + exporter_year[e, t] + importer_year[i, t] + pair_effect[pair]
    trade = rng.poisson(np.exp(eta)) * (rng.random(len(e)) > 0.15)
    frame = pd.DataFrame({"exporter": e, "importer": i, "pair": pair, "year": 2000 + t, "rta": rta, "ltariff": ltariff, "trade": trade})
else:
    firms = rows // years
    firm = np.repeat(np.arange(firms), years)
    year = np.tile(np.arange(years), firms)
    x1 = np.round(rng.normal(size=len(firm)), 6)
    x2 = np.round(rng.normal(size=len(firm)), 6)
    eta = 0.8 * x1 - 0.5 * x2 + rng.normal(0, 1, firms)[firm] + rng.normal(0, 0.3, years)[year]
    export = (rng.random(len(firm)) < 1 / (1 + np.exp(-eta))).astype(np.int8)
    frame = pd.DataFrame({"firm": firm, "year": 2000 + year, "x1": x1, "x2": x2, "export": export})
frame.to_csv(out, index=False)
print(f"{kind}: {len(frame):,} rows")
