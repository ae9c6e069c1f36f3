#!/usr/bin/env python3
"""Weighted fits for the `weights:` / `weight_type:` parameters of the model stages (issue 20).

Adds a whole-number weight w (1–5, seeded) to the M2 panel and the GLM trade panel
(weights_panel.csv, weights_trade.csv), then writes weights_reference.json with, per model and
weight type, coefficients and SEs (iid, hetero, clustered):

- analytic: statsmodels WLS (OLS), pyfixest feols(weights=w) (FE), pyfixest fepois(weights=w)
  and statsmodels GLM Poisson var_weights with every dummy (Poisson);
- frequency: the defining property — each row repeated w times — fitted by statsmodels OLS and
  pyfixest feols / fepois on the repeated rows (so N = Σw);
- probability: statsmodels WLS with HC1/cluster (Stata's pweight gives aweight's sandwich).

    python3 -m venv /tmp/pfx && /tmp/pfx/bin/pip install pyfixest==0.60.0 statsmodels==0.15.0
    /tmp/pfx/bin/python ref_weights.py
"""
import json
import os

import numpy as np
import pandas as pd
import pyfixest as pf
import statsmodels.api as sm
import statsmodels.formula.api as smf

here = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(2026120701)
panel = pd.read_csv(os.path.join(here, "m2_panel.csv"))
panel["w"] = rng.integers(1, 6, len(panel))
panel.to_csv(os.path.join(here, "weights_panel.csv"), index=False)
trade = pd.read_csv(os.path.join(here, "glm_trade.csv"))
trade["w"] = rng.integers(1, 6, len(trade))
trade.to_csv(os.path.join(here, "weights_trade.csv"), index=False)
trade["exp_year"] = trade.exporter + "_" + trade.year.astype(str)
trade["imp_year"] = trade.importer + "_" + trade.year.astype(str)
# fixest's rule: the all-zero exporter-year is not fitted; give every tool the same rows.
trade = trade[trade.groupby("exp_year").trade.transform("max") > 0]
trade = trade[trade.groupby("imp_year").trade.transform("max") > 0]


def repeat(frame):
    return frame.loc[frame.index.repeat(frame.w)].reset_index(drop=True)


def entry(terms, coef, **ses):
    return {"terms": terms, "coef": [float(coef[t]) for t in terms], **{k: [float(v[t]) for t in terms] for k, v in ses.items()}}


out = {}
ols_terms = ["Intercept", "x1", "x2", "x3"]
ols = "y ~ x1 + x2 + x3"
model = smf.wls(ols, panel, weights=panel.w)
out["ols_analytic"] = entry(ols_terms, model.fit().params, se_iid=model.fit().bse, se_hc1=model.fit(cov_type="HC1").bse,
                            se_cluster=model.fit(cov_type="cluster", cov_kwds={"groups": pd.factorize(panel.province)[0]}).bse)
repeated = repeat(panel)
model = smf.ols(ols, repeated)
out["ols_frequency"] = entry(ols_terms, model.fit().params, se_iid=model.fit().bse, se_hc1=model.fit(cov_type="HC1").bse,
                             se_cluster=model.fit(cov_type="cluster", cov_kwds={"groups": pd.factorize(repeated.province)[0]}).bse)

fe_terms = ["x1", "x2"]
fe = "y ~ x1 + x2 | province + year"
fits = {v: pf.feols(fe, panel, weights="w", vcov=c) for v, c in [("iid", "iid"), ("hetero", "hetero"), ("cluster", {"CRV1": "province"})]}
out["fe_analytic"] = entry(fe_terms, fits["iid"].coef(), **{f"se_{v}": f.se() for v, f in fits.items()})
fits = {v: pf.feols(fe, repeated, vcov=c) for v, c in [("iid", "iid"), ("hetero", "hetero"), ("cluster", {"CRV1": "province"})]}
out["fe_frequency"] = entry(fe_terms, fits["iid"].coef(), **{f"se_{v}": f.se() for v, f in fits.items()})
fits = {v: pf.feols(fe, panel, weights="w", weights_type="fweights", vcov=c) for v, c in [("iid", "iid"), ("hetero", "hetero"), ("cluster", {"CRV1": "province"})]}
out["fe_frequency_pyfixest_fweights"] = entry(fe_terms, fits["iid"].coef(), **{f"se_{v}": f.se() for v, f in fits.items()})

po_terms = ["rta", "ltariff"]
po = "trade ~ rta + ltariff | exp_year + imp_year"
tight = dict(fixef_tol=1e-13, iwls_tol=1e-13, iwls_maxiter=200, fixef_rm="none")
fits = {v: pf.fepois(po, trade, weights="w", vcov=c, **tight) for v, c in [("iid", "iid"), ("hetero", "hetero"), ("cluster", {"CRV1": "exporter"})]}
out["poisson_analytic"] = entry(po_terms, fits["iid"].coef(), **{f"se_{v}": f.se() for v, f in fits.items()})
repeated_trade = repeat(trade)
fits = {v: pf.fepois(po, repeated_trade, vcov=c, **tight) for v, c in [("iid", "iid"), ("hetero", "hetero"), ("cluster", {"CRV1": "exporter"})]}
out["poisson_frequency"] = entry(po_terms, fits["iid"].coef(), **{f"se_{v}": f.se() for v, f in fits.items()})
glm = smf.glm("trade ~ rta + ltariff + C(exp_year) + C(imp_year)", trade, family=sm.families.Poisson(), var_weights=trade.w)
fit = glm.fit(tol=1e-13, maxiter=500, method="newton")
out["poisson_analytic_statsmodels"] = entry(po_terms, fit.params, se_nonrobust=fit.bse)

with open(os.path.join(here, "weights_reference.json"), "w") as f:
    json.dump(out, f, indent=1)
for name, value in out.items():
    print(name, value["coef"])
