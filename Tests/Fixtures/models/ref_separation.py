#!/usr/bin/env python3
"""Fixtures for Poisson separation by the regressors (Correia, Guimarães & Zylkin 2019).

Generates, with a fixed seed, separation_panel.csv: 60 units × 5 years, y ~ Poisson(exp(0.5·x1
− 0.3·x2 + unit + year)) with three kinds of separated observations planted:
- `sanction` is 1 on 9 rows whose outcome is 0 and 0 everywhere else: a single regressor
  separates them (the primer's first example);
- `embargo` is 1 on every row of unit U08 (all positive outcomes) and on 4 zero-outcome rows of
  other units: the combination embargo − 1{unit = U08} separates those 4, which neither the
  fixed-effect check nor any single regressor finds;
- unit U03's outcomes are all zero: separated by its fixed effect.

and writes what pyfixest 0.60's fepois estimates with separation_check=["fe", "ir"] (ppmlhdfe's
fe and iterative-rectifier checks) to separation_pyfixest.json: the rows kept, the rows dropped
as separated, the coefficients (sanction and embargo become collinear once the separated rows
are gone, and are dropped) and their SEs (iid, hetero, clustered by unit).

    python3 -m venv /tmp/pfx && /tmp/pfx/bin/pip install pyfixest==0.60.0
    /tmp/pfx/bin/python ref_separation.py
"""
import json
import os
import warnings

import numpy as np
import pandas as pd
import pyfixest as pf

here = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(20261207)

units, years = 60, 5
unit_effect = rng.normal(0, 0.6, units)
year_effect = rng.normal(0, 0.3, years)
rows = []
for u in range(units):
    for t in range(years):
        x1, x2 = rng.normal(), rng.normal()
        y = rng.poisson(np.exp(0.5 * x1 - 0.3 * x2 + unit_effect[u] + year_effect[t] + 0.3))
        rows.append(dict(unit=f"U{u:02d}", year=2010 + t, x1=round(x1, 6), x2=round(x2, 6), y=float(y), sanction=0, embargo=0))
data = pd.DataFrame(rows)
data.loc[data.unit == "U03", "y"] = 0.0
# Unit U08: every outcome positive, embargo 1 throughout.
u08 = data.unit == "U08"
data.loc[u08, "y"] = data.loc[u08, "y"].clip(lower=1.0)
data.loc[u08, "embargo"] = 1
candidates = data.index[(~data.unit.isin(["U03", "U08"]))]
chosen = rng.choice(candidates, size=13, replace=False)
for row in chosen[:9]:
    data.loc[row, ["y", "sanction"]] = [0.0, 1]
for row in chosen[9:]:
    data.loc[row, ["y", "embargo"]] = [0.0, 1]
data.to_csv(os.path.join(here, "separation_panel.csv"), index=False)

data = pd.read_csv(os.path.join(here, "separation_panel.csv"))
formula = "y ~ x1 + x2 + sanction + embargo | unit + year"
out = {}
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    fits = {name: pf.fepois(formula, data=data, vcov=vcov, separation_check=["fe", "ir"])
            for name, vcov in [("iid", "iid"), ("hetero", "hetero"), ("cluster", {"CRV1": "unit"})]}
base = fits["iid"]
kept = sorted(int(i) for i in base._data.index)
out["formula"] = formula
out["nobs"] = int(base._N)
out["kept_rows"] = kept
out["separated_rows"] = sorted(set(range(len(data))) - set(kept))
out["terms"] = list(base._coefnames)
out["coef"] = [float(v) for v in base.coef().values]
for name, fit in fits.items():
    out[f"se_{name}"] = [float(v) for v in fit.se().values]
with open(os.path.join(here, "separation_pyfixest.json"), "w") as f:
    json.dump(out, f, indent=1)
    f.write("\n")
print(out["nobs"], out["separated_rows"], out["terms"], out["coef"])
