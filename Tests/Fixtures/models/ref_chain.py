#!/usr/bin/env python3
"""A weakly connected panel for the demeaning limits of models.fe.

chain_panel.csv: 200 links a–b forming one long chain (link e joins a = e // 2 and b = (e + 1) // 2),
4 observations each (800 rows), y = 0.7·x + 0.01·a + 0.02·b + N(0, 1), seeded. Alternating
projections converge slowly on a chain (by about (π/L)² per sweep), so the default 10,000
sweeps at 1e-13 are not enough. chain_statsmodels.json: statsmodels 0.15 OLS with every dummy
entered (exact, no demeaning), the coefficient on x and its classical SE.

    python3 -m venv /tmp/pfx && /tmp/pfx/bin/pip install statsmodels==0.15.0 pandas
    /tmp/pfx/bin/python ref_chain.py
"""
import json
import os

import numpy as np
import pandas as pd
import statsmodels.formula.api as smf

here = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(5)
links, repeats = 200, 4
pairs = [(e // 2, (e + 1) // 2) for e in range(links) for _ in range(repeats)]
a = np.array([p[0] for p in pairs])
b = np.array([p[1] for p in pairs])
x = rng.normal(size=len(pairs))
y = 0.7 * x + 0.01 * a + 0.02 * b + rng.normal(size=len(pairs))
data = pd.DataFrame(dict(y=y.round(10), x=x.round(10), a=[f"a{v}" for v in a], b=[f"b{v}" for v in b]))
data.to_csv(os.path.join(here, "chain_panel.csv"), index=False)

data = pd.read_csv(os.path.join(here, "chain_panel.csv"))
fit = smf.ols("y ~ x + C(a) + C(b)", data=data).fit()
out = {"coef_x": float(fit.params["x"]), "se_x": float(fit.bse["x"]), "nobs": int(fit.nobs), "df_resid": float(fit.df_resid)}
with open(os.path.join(here, "chain_statsmodels.json"), "w") as f:
    json.dump(out, f, indent=1)
    f.write("\n")
print(out)
