#!/usr/bin/env python3
"""Wald tests (issue 21 point 5) on the M2 panel by statsmodels' wald_test: OLS
y ~ x1 + x2 + x3, classical and HC1, with F (use_f=True: df_resid as the denominator) for
"b[x1] = b[x2]" and the joint "b[x1] = 0, b[x2] = 0", and "2*b[x1] - b[x3] = 0.5"; and a logit of
high = (y > 0) on the same terms with χ² (use_f=False). Writes wald_statsmodels.json.

    /tmp/pfx/bin/python ref_wald.py      (statsmodels 0.15.0, pandas)
"""
import json
import os

import pandas as pd
import statsmodels.formula.api as smf

here = os.path.dirname(os.path.abspath(__file__))
data = pd.read_csv(os.path.join(here, "m2_panel.csv"))
data["high"] = (data.y > 0).astype(int)
tests = {"b[x1] = b[x2]": "x1 = x2", "b[x1] = 0, b[x2] = 0": "x1 = 0, x2 = 0", "2*b[x1] - b[x3] = 0.5": "2*x1 - x3 = 0.5"}
out = {}
for cov in ["nonrobust", "HC1"]:
    fit = smf.ols("y ~ x1 + x2 + x3", data).fit(cov_type=cov)
    out[f"ols_{cov}"] = {ours: {"statistic": float(fit.wald_test(theirs, use_f=True, scalar=True).statistic),
                                "p": float(fit.wald_test(theirs, use_f=True, scalar=True).pvalue)} for ours, theirs in tests.items()}
fit = smf.logit("high ~ x1 + x2 + x3", data).fit(disp=0, method="newton", tol=1e-12)
out["logit"] = {ours: {"statistic": float(fit.wald_test(theirs, use_f=False, scalar=True).statistic),
                       "p": float(fit.wald_test(theirs, use_f=False, scalar=True).pvalue)} for ours, theirs in tests.items()}
with open(os.path.join(here, "wald_statsmodels.json"), "w") as f:
    json.dump(out, f, indent=1)
print(json.dumps(out, indent=1)[:600])
