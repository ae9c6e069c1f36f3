#!/usr/bin/env python3
"""Factor coding (issue 20): which levels a factor keeps, on the M2 panel's three regions, by
statsmodels' formulas (patsy codes as R does):

- y ~ 0 + C(region): no intercept, so every region keeps its dummy (fixest: y ~ 0 + i(region));
- y ~ C(region):x1: a slope per region, all three (fixest: i(region, x1));
- y ~ x1 + C(region):x1: x1 enters alone, so the base region's slope is x1's and two remain.

Writes factors_statsmodels.json (coefficients and classical SEs by term).

    /tmp/pfx/bin/python ref_factors.py      (statsmodels 0.15.0, pandas)
"""
import json
import os

import pandas as pd
import statsmodels.formula.api as smf

here = os.path.dirname(os.path.abspath(__file__))
data = pd.read_csv(os.path.join(here, "m2_panel.csv"))
out = {}
for name, formula in [("levels", "y ~ 0 + C(region)"), ("slopes", "y ~ C(region):x1"), ("slopes_base", "y ~ x1 + C(region):x1")]:
    fit = smf.ols(formula, data).fit()
    out[name] = {"terms": list(fit.params.index), "coef": list(fit.params.values), "se": list(fit.bse.values)}
with open(os.path.join(here, "factors_statsmodels.json"), "w") as f:
    json.dump(out, f, indent=1)
print(json.dumps({k: v["terms"] for k, v in out.items()}))
