#!/usr/bin/env python3
"""HC2 and HC3 standard errors (MacKinnon & White 1985) on the M2 panel, for the models.ols@2
and models.lpm@2 stages' vcov: hc2 | hc3: statsmodels' OLS with an intercept and x1, x2, x3,
cov_type "HC2" and "HC3", and the same with province dummies entered as regressors (their
leverage counts, as it must). Writes hc23_statsmodels.json beside this script.

    python3 -m venv /tmp/sm && /tmp/sm/bin/pip install statsmodels==0.15.0 pandas
    /tmp/sm/bin/python ref_hc23.py
"""
import json
import os

import pandas as pd
import statsmodels.formula.api as smf

here = os.path.dirname(os.path.abspath(__file__))
data = pd.read_csv(os.path.join(here, "m2_panel.csv"))
out = {}
for name, formula in [("plain", "y ~ x1 + x2 + x3"), ("dummies", "y ~ x1 + x2 + x3 + C(province)")]:
    model = smf.ols(formula, data=data)
    for kind in ("HC2", "HC3"):
        fit = model.fit(cov_type=kind)
        out[f"{name}_{kind}"] = {"terms": list(fit.params.index), "coef": list(fit.params.values), "se": list(fit.bse.values)}
with open(os.path.join(here, "hc23_statsmodels.json"), "w") as f:
    json.dump(out, f, indent=1)
print(sorted(out))
