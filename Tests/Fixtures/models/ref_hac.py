#!/usr/bin/env python3
"""Newey–West and Driscoll–Kraay standard errors (issue 21 point 5) by statsmodels on the M2
panel, for the vcov: {newey_west: …} and {driscoll_kraay: …} of the linear model stages:

- Newey–West on a time series: the panel's province 1, y ~ x1 + x2 over its 14 years, Bartlett
  weights, maxlags 2 and 3 (cov_type "HAC", no small-sample correction);
- Driscoll–Kraay on the whole panel: y ~ x1 + x2 + x3 with the scores summed by year, then
  Newey–West over the 14 years, maxlags 2 (cov_type "hac-groupsum", no correction).

Writes hac_statsmodels.json.

    /tmp/pfx/bin/python ref_hac.py      (statsmodels 0.15.0, pandas)
"""
import json
import os

import pandas as pd
import statsmodels.formula.api as smf

here = os.path.dirname(os.path.abspath(__file__))
data = pd.read_csv(os.path.join(here, "m2_panel.csv")).sort_values(["year", "province"]).reset_index(drop=True)
out = {}
series = data[data.province == 1].sort_values("year")
for lags in (2, 3):
    fit = smf.ols("y ~ x1 + x2", series).fit(cov_type="HAC", cov_kwds={"maxlags": lags})
    out[f"nw_{lags}"] = {"terms": list(fit.params.index), "coef": list(fit.params.values), "se": list(fit.bse.values)}
time = pd.factorize(data.year, sort=True)[0]
fit = smf.ols("y ~ x1 + x2 + x3", data).fit(cov_type="hac-groupsum", cov_kwds={"time": time, "maxlags": 2})
out["dk_2"] = {"terms": list(fit.params.index), "coef": list(fit.params.values), "se": list(fit.bse.values)}
with open(os.path.join(here, "hac_statsmodels.json"), "w") as f:
    json.dump(out, f, indent=1)
print(json.dumps({k: v["se"] for k, v in out.items()}))
