#!/usr/bin/env python3
"""Heteroskedasticity-robust (HC1) and two-way clustered (firm and year) SEs of liu-zhu-2021's
model (4) probit on m1_100k.csv, by statsmodels 0.15.0 (observed-information bread; two-way
clusters as cov_cluster_2groups, each term G/(G-1)*(N-1)/(N-K) with its own G).
Writes m1_100k_probit_robust_statsmodels.json beside this script.

Run with the benchmark venv: Benchmarks/models/.venv/bin/python ref_m1_robust.py
"""
import json
import os
import re

import numpy as np
import pandas as pd
import statsmodels.formula.api as smf

here = os.path.dirname(os.path.abspath(__file__))
data = pd.read_csv(os.path.join(here, "m1_100k.csv"))
data["density_firm_x_density_city"] = data["density_firm"] * data["density_city"]
model = smf.probit("export ~ density_firm + density_city + density_firm_x_density_city + ln_tradevalue + ln_newexport"
                   " + C(year) + C(hs2)", data)
kwargs = dict(disp=0, method="newton", tol=1e-12, maxiter=100)
names = [re.sub(r"C\((\w+)\)\[T\.(\w+)\]", r"\1_\2", n).replace("density_firm_x_density_city", "density_firm:density_city")
         .replace("Intercept", "(Intercept)") for n in model.exog_names]
hc1 = model.fit(cov_type="HC1", **kwargs)
groups = np.column_stack([pd.factorize(data["firm"])[0], pd.factorize(data["year"])[0]])
twoway = model.fit(cov_type="cluster", cov_kwds={"groups": groups}, **kwargs)
finite = lambda values: [v if np.isfinite(v) else None for v in values]  # NaN (negative variance) as null
out = {"tool": "statsmodels 0.15.0", "names": names, "se_HC1_observed": finite(hc1.bse),
       "se_twoway_firm_year_observed": finite(twoway.bse)}
with open(os.path.join(here, "m1_100k_probit_robust_statsmodels.json"), "w") as f:
    json.dump(out, f, indent=1)
print(json.dumps({k: v[:6] for k, v in out.items() if isinstance(v, list)}))
