#!/usr/bin/env python3
"""Tail probabilities from scipy.stats for DistributionTests (scipy 1.17.1).
Run with the benchmark venv: Benchmarks/models/.venv/bin/python ref_distributions.py"""
import json
import os

import scipy
from scipy import stats

rows = []
for z in [0.0, 0.5, 1.0, 1.644853626951, 1.959963984540, 2.575829303549, 4.0, 8.0, 20.0, -1.5]:
    rows.append({"kind": "normal_two_sided", "x": z, "p": float(2 * stats.norm.sf(abs(z)))})
    rows.append({"kind": "normal_upper", "x": z, "p": float(stats.norm.sf(z))})
for df in [1, 2, 5, 29, 100, 413, 999_994]:
    for t in [0.0, 0.3, 1.0, 1.7, 2.05, 3.5, 8.0, 40.0, -2.2]:
        rows.append({"kind": "t_two_sided", "x": t, "df": df, "p": float(2 * stats.t.sf(abs(t), df))})
for df in [1, 2, 3, 10, 54, 200]:
    for x in [0.01, 0.5, 1.0, 3.84, 10.0, 60.0, 250.0]:
        rows.append({"kind": "chi2_upper", "x": x, "df": df, "p": float(stats.chi2.sf(x, df))})
for d1, d2 in [(1, 10), (3, 27), (6, 413), (14, 999_900), (96, 99_883)]:
    for f in [0.2, 1.0, 2.5, 4.0, 12.0, 100.0]:
        rows.append({"kind": "f_upper", "x": f, "df1": d1, "df2": d2, "p": float(stats.f.sf(f, d1, d2))})

here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "distributions_scipy.json"), "w") as out:
    json.dump({"scipy": scipy.__version__, "rows": rows}, out, indent=0)
print(len(rows), "rows")
