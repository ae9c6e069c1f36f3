#!/usr/bin/env python3
"""Weighted logit and probit with absorbed firm and year effects (`weights:` on models.logit@2 and
models.probit@2, issue 20).

Adds a whole-number weight w (1–5, seeded) to glm_firms.csv (weights_firms.csv) and writes
weights_binary_reference.json, per family:
- frequency: pyfixest 0.60 feglm on the rows repeated w times (what a frequency weight means;
  pyfixest's feglm takes no weights), fixest's conventions: iid, hetero, clustered by firm;
- analytic: statsmodels 0.15 GLM Binomial with var_weights=w and every dummy entered, on the
  rows fixest keeps (firms whose outcome never varies are separated): coefficients (Newton),
  and the classical SEs from the expected information (IRLS) and the observed one (Newton).

    python3 -m venv /tmp/pfx && /tmp/pfx/bin/pip install pyfixest==0.60.0 statsmodels==0.15.0
    /tmp/pfx/bin/python ref_weights_binary.py
"""
import json
import os
import warnings

import numpy as np
import pandas as pd
import pyfixest as pf
import statsmodels.api as sm
import statsmodels.formula.api as smf

here = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(2026120702)
firms = pd.read_csv(os.path.join(here, "glm_firms.csv"))
firms["w"] = rng.integers(1, 6, len(firms))
firms.to_csv(os.path.join(here, "weights_firms.csv"), index=False)
firms = pd.read_csv(os.path.join(here, "weights_firms.csv"))
fitted = firms[firms.groupby("firm").export.transform(lambda s: 0 < s.mean() < 1)].reset_index(drop=True)
repeated = fitted.loc[fitted.index.repeat(fitted.w)].reset_index(drop=True)

terms = ["x1", "x2"]
out = {}
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    for family in ["logit", "probit"]:
        tight = dict(fixef_tol=1e-13, iwls_tol=1e-13, iwls_maxiter=200)
        fits = {v: pf.feglm("export ~ x1 + x2 | firm + year", repeated, family=family, vcov=c, **tight)
                for v, c in [("iid", "iid"), ("hetero", "hetero"), ("cluster", {"CRV1": "firm"})]}
        out[f"{family}_frequency"] = {"terms": terms, "coef": [float(v) for v in fits["iid"].coef()[terms]],
                                      **{f"se_{v}": [float(s) for s in f.se()[terms]] for v, f in fits.items()},
                                      "nobs": int(len(repeated))}
        link = sm.families.links.Logit() if family == "logit" else sm.families.links.Probit()
        glm = smf.glm("export ~ x1 + x2 + C(firm) + C(year)", fitted, family=sm.families.Binomial(link=link), var_weights=fitted.w)
        fit = glm.fit(tol=1e-13, maxiter=500)
        # Newton's method on the observed Hessian: the information statsmodels' Probit and Logit
        # classes use (for the logit link it equals the expected one).
        newton = glm.fit(method="newton", start_params=fit.params, tol=1e-13, maxiter=100)
        out[f"{family}_analytic_statsmodels"] = {"terms": terms, "coef": [float(newton.params[t]) for t in terms],
                                                 "se_nonrobust": [float(fit.bse[t]) for t in terms],
                                                 "se_nonrobust_observed": [float(newton.bse[t]) for t in terms], "nobs": int(len(fitted))}
with open(os.path.join(here, "weights_binary_reference.json"), "w") as f:
    json.dump(out, f, indent=1)
    f.write("\n")
for name, value in out.items():
    print(name, value["coef"], {k: v for k, v in value.items() if k.startswith("se_")})
