#!/usr/bin/env python3
"""Instrumental variables (two-stage least squares) for the linear model stages' IV part,
`y ~ w | unit + year | x1 ~ z1 + z2`: a seeded panel with planted effects (y = 0.5 w + 1.0 x1
− 0.7 x2 + unit and year effects + an error correlated with x1's and x2's and heteroskedastic
in z1), written to iv_panel.csv, and the references in iv_reference.json:

- pyfixest's feols with the same syntax (one endogenous regressor, as pyfixest takes) under iid,
  hetero and CRV1 by unit, fixest's conventions: terms, estimates, SEs, and the first-stage F of
  the excluded instruments (`_f_stat_1st_stage`, a Wald F under the model's vcov, as the fit leaves it)
  with the first stage's estimates and SEs; and without fixed effects (an intercept); and with
  analytic weights (wt = 0.5 + |z3|), heteroskedasticity-robust;
- linearmodels' IV2SLS with two endogenous regressors (x1 + x2 ~ z1 + z2 + z3), unit and year
  dummies entered as exogenous regressors, debiased (the N/(N−K) and G/(G−1)·(N−1)/(N−K)
  factors of statsmodels' convention): estimates, SEs, first-stage `f.stat` (the Wald statistic,
  divided by q only when unadjusted), Sargan's test and the Kleibergen–Paap rk Wald F
  (`linearmodels.iv.common.kleibergen_paap_f`, ivreg2's definition; Cragg–Donald's F when
  unadjusted); and without the dummies IVGMM's J (two-step, robust and clustered weights) for
  Hansen's test.

    python3 -m venv /tmp/iv && /tmp/iv/bin/pip install pyfixest==0.60.0 linearmodels==7.1 pandas
    /tmp/iv/bin/python ref_iv.py
"""
import json
import os

import numpy as np
import pandas as pd
import pyfixest as pf
from linearmodels.iv import IV2SLS, IVGMM
from linearmodels.iv.common import kleibergen_paap_f

here = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(20261207)
units, years = 50, 12
rows = [(u, 2000 + t) for u in range(1, units + 1) for t in range(years)]
data = pd.DataFrame(rows, columns=["unit", "year"])
data = data[rng.random(len(data)) > 0.1].reset_index(drop=True)
n = len(data)
unit_effect = rng.normal(size=units + 1)[data["unit"]]
year_effect = rng.normal(scale=0.5, size=2000 + years)[data["year"]]
data["w"] = rng.normal(size=n) + 0.3 * unit_effect
data["z1"] = rng.normal(size=n)
data["z2"] = rng.normal(size=n)
data["z3"] = rng.normal(size=n) + 0.2 * data["w"]
common = rng.normal(size=n)
u = (common + rng.normal(size=n)) * (1 + 0.5 * np.abs(data["z1"]))
data["x1"] = 0.6 * data["z1"] + 0.4 * data["z2"] + 0.3 * data["w"] + unit_effect + 0.8 * common + rng.normal(size=n)
data["x2"] = 0.5 * data["z2"] + 0.7 * data["z3"] - 0.2 * data["w"] - 0.5 * common + rng.normal(size=n)
data["y"] = 1 + 0.5 * data["w"] + 1.0 * data["x1"] - 0.7 * data["x2"] + unit_effect + year_effect + u
for column in ["w", "z1", "z2", "z3", "x1", "x2", "y"]:
    data[column] = data[column].round(6)
# Analytic weights for the weighted IV check (pyfixest's aweights).
data["wt"] = (0.5 + data["z3"].abs()).round(6)
data.to_csv(os.path.join(here, "iv_panel.csv"), index=False)

out = {"rows": n}
for name, formula in [("pf_fe", "y ~ w | unit + year | x1 ~ z1 + z2"), ("pf_plain", "y ~ w | x1 ~ z1 + z2 + z3")]:
    for vcov in ["iid", "hetero", "CRV1"]:
        fit = pf.feols(formula, data=data, vcov={"CRV1": "unit"} if vcov == "CRV1" else vcov)
        # The first stage as fitted, before IV_Diag() (which re-runs its Wald test under a
        # heteroskedasticity-robust vcov when the model's is iid, changing the stage's SEs).
        first = fit._model_1st_stage
        out[f"{name}_{vcov}"] = {
            "terms": list(fit.coef().index), "coef": list(fit.coef().values), "se": list(fit.se().values),
            "first_f": float(fit._f_stat_1st_stage),
            "first_terms": list(first.coef().index), "first_coef": list(first.coef().values), "first_se": list(first.se().values),
        }

# Weighted 2SLS: pyfixest with analytic weights, heteroskedasticity-robust.
fit = pf.feols("y ~ w | unit + year | x1 ~ z1 + z2", data=data, vcov="hetero", weights="wt")
out["pf_fe_weighted_hetero"] = {"terms": list(fit.coef().index), "coef": list(fit.coef().values), "se": list(fit.se().values)}

dummies = "y ~ 1 + w + C(unit) + C(year) + [x1 + x2 ~ z1 + z2 + z3]"
plain = "y ~ 1 + w + [x1 + x2 ~ z1 + z2 + z3]"
for name, formula in [("lm_fe", dummies), ("lm_plain", plain)]:
    model = IV2SLS.from_formula(formula, data)
    for cov in ["unadjusted", "robust", "clustered"]:
        options = {"clusters": data["unit"]} if cov == "clustered" else {}
        fit = model.fit(cov_type=cov, debiased=True, **options)
        keep = ["Intercept", "w", "x1", "x2"] if name == "lm_plain" else ["w", "x1", "x2"]
        diagnostics = fit.first_stage.diagnostics
        entry = {
            "terms": keep, "coef": [float(fit.params[t]) for t in keep], "se": [float(fit.std_errors[t]) for t in keep],
            "first_f_stat": [float(diagnostics.loc[e, "f.stat"]) for e in ["x1", "x2"]],
            "sargan": float(fit.sargan.stat),
        }
        # The Kleibergen–Paap rk Wald F (Cragg–Donald's F when unadjusted), ivreg2's definition as
        # linearmodels computes it, the exogenous regressors (and dummies) partialled out.
        exog = model.exog.ndarray
        config = {"clusters": data["unit"].to_numpy()} if cov == "clustered" else None
        entry["kp_f"] = float(kleibergen_paap_f(model.endog.ndarray, model.instruments.ndarray, exog, cov_type=cov, cov_config=config))
        if name == "lm_plain" and cov != "unadjusted":
            gmm = IVGMM.from_formula(formula, data, weight_type=cov, **options).fit(cov_type=cov, **options)
            entry["j_stat"] = float(gmm.j_stat.stat)
            entry["j_df"] = int(gmm.j_stat.df)
        out[f"{name}_{cov}"] = entry
with open(os.path.join(here, "iv_reference.json"), "w") as f:
    json.dump(out, f, indent=1)
print(n, sorted(out))
