#!/usr/bin/env python3
"""Fixtures for the GLM engine (models.poisson@1, and probit/logit with absorbed fixed effects).

Generates, with a fixed seed and planted coefficients:
- glm_trade.csv: a bilateral panel, 15 countries × 14 partners × 4 years (840 flows), ~30% zeros,
  y ~ Poisson(exp(0.4·rta − 1.2·ltariff + exporter-year + importer-year + pair)); exporter 3 ships
  nothing in year 2, so its exporter-year level is all zero (separated by the fixed effects, dropped
  by fixest/pyfixest/ppmlhdfe). ldist is constant within pair (absorbed by the pair effect).
- glm_firms.csv: 150 firms × 6 years, export ~ Bernoulli(F(0.8·x1 − 0.5·x2 + firm + year)) with
  firms 0–3 always exporting and firms 4–7 never (separated levels).

and writes what the reference tools estimate on them:
- glm_pyfixest.json: pyfixest fepois / feglm (fixest's conventions), iid, hetero and clustered.
- glm_statsmodels.json: statsmodels GLM (Poisson) and Logit/Probit with every dummy entered, on
  the rows fixest keeps: nonrobust, HC0 and clustered SEs.

    python3 -m venv /tmp/pfx && /tmp/pfx/bin/pip install pyfixest==0.60.0 statsmodels==0.15.0
    /tmp/pfx/bin/python ref_glm.py
"""
import json
import os

import numpy as np
import pandas as pd
import pyfixest as pf
import statsmodels.api as sm

here = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(20261206)

# Bilateral trade panel.
countries, years = 15, 4
rows = []
exporter_year = rng.normal(0, 0.7, (countries, years))
importer_year = rng.normal(0, 0.7, (countries, years))
pair_effect = rng.normal(0, 1.0, (countries, countries))
distance = rng.uniform(0.5, 3.0, (countries, countries))
for e in range(countries):
    for i in range(countries):
        if e == i:
            continue
        for t in range(years):
            rta = int(rng.random() < 0.2 + 0.15 * t)
            ltariff = rng.uniform(0, 0.3)
            eta = 0.4 * rta - 1.2 * ltariff + exporter_year[e, t] + importer_year[i, t] + pair_effect[e, i] - 0.5
            y = rng.poisson(np.exp(eta) * 2.0) if rng.random() > 0.15 else 0
            if e == 3 and t == 2:
                y = 0
            rows.append(dict(exporter=f"C{e:02d}", importer=f"C{i:02d}", year=2000 + t, rta=rta,
                             ltariff=round(ltariff, 6), ldist=round(np.log(distance[e, i]), 6), trade=float(y)))
trade = pd.DataFrame(rows)
trade["exp_year"] = trade.exporter + "_" + trade.year.astype(str)
trade["imp_year"] = trade.importer + "_" + trade.year.astype(str)
trade["pair"] = trade.exporter + "_" + trade.importer
trade[["exporter", "importer", "year", "rta", "ltariff", "ldist", "trade"]].to_csv(os.path.join(here, "glm_trade.csv"), index=False)

# Firm panel for the binary models.
firms, periods = 150, 6
firm_effect = rng.normal(0, 1, firms)
year_effect = rng.normal(0, 0.3, periods)
rows = []
for f in range(firms):
    for t in range(periods):
        x1, x2 = rng.normal(), rng.normal()
        eta = 0.8 * x1 - 0.5 * x2 + firm_effect[f] + year_effect[t]
        p = 1 / (1 + np.exp(-eta))
        y = int(rng.random() < p)
        if f < 4:
            y = 1
        elif f < 8:
            y = 0
        rows.append(dict(firm=f"F{f:03d}", year=2010 + t, x1=round(x1, 6), x2=round(x2, 6), export=y))
firms_data = pd.DataFrame(rows)
firms_data.to_csv(os.path.join(here, "glm_firms.csv"), index=False)
trade = pd.read_csv(os.path.join(here, "glm_trade.csv"))
trade["exp_year"] = trade.exporter + "_" + trade.year.astype(str)
trade["imp_year"] = trade.importer + "_" + trade.year.astype(str)
trade["pair"] = trade.exporter + "_" + trade.importer
firms_data = pd.read_csv(os.path.join(here, "glm_firms.csv"))

tight = dict(fixef_tol=1e-13, iwls_tol=1e-13, iwls_maxiter=200, fixef_rm="none")
models = {
    "poisson2": ("trade ~ rta + ltariff + ldist | exp_year + imp_year", trade, "poisson", "exporter"),
    "poisson3": ("trade ~ rta + ltariff | exp_year + imp_year + pair", trade, "poisson", "pair"),
    "logit": ("export ~ x1 + x2 | firm + year", firms_data, "logit", "firm"),
    "probit": ("export ~ x1 + x2 | firm + year", firms_data, "probit", "firm"),
}


def full_rank(matrix, first):
    """Indices of a maximal independent set of columns, the first `first` kept when they are
    independent: Gram–Schmidt in column order with a relative tolerance."""
    kept, basis = [], []
    for j in range(matrix.shape[1]):
        v = matrix[:, j].copy()
        norm = np.linalg.norm(v)
        for q in basis:
            v -= q * (q @ v)
        if np.linalg.norm(v) > 1e-9 * max(norm, 1e-300):
            basis.append(v / np.linalg.norm(v))
            kept.append(j)
    assert all(j in kept for j in range(first)), "a regressor is collinear with the dummies"
    return kept


out_pf, out_sm = {}, {}
for name, (formula, data, family, cluster) in models.items():
    # The rows of levels whose outcome varies as the model needs (fixest's fixef.rm = "perfect":
    # all-zero levels for Poisson, all 0 or all 1 for logit/probit). pyfixest 0.60's feglm keeps
    # them, so both tools are given the kept rows.
    fe = formula.split("|")[1].split("+")
    fe = [f.strip() for f in fe]
    kept = data.copy()
    while True:
        before = len(kept)
        for f in fe:
            stats = kept.groupby(f)[formula.split("~")[0].strip()].agg(["min", "max"])
            if family == "poisson":
                bad = stats.index[stats["max"] == 0]
            else:
                bad = stats.index[stats["min"] == stats["max"]]
            kept = kept[~kept[f].isin(bad)]
        if len(kept) == before:
            break
    entry = {}
    for label, vcov in [("iid", "iid"), ("hetero", "hetero"), ("cluster", {"CRV1": cluster})]:
        if family == "poisson":
            fit = pf.fepois(formula, kept, vcov=vcov, **tight)
        else:
            fit = pf.feglm(formula, kept, family=family, vcov=vcov, **tight)
        entry.setdefault("terms", list(fit.coef().index))
        entry.setdefault("coef", list(fit.coef().values))
        entry.setdefault("nobs", int(fit._N))
        entry[f"se_{label}"] = list(fit.se().values)
    out_pf[name] = entry

    # statsmodels with every dummy.
    rhs = formula.split("~")[1].split("|")[0].strip()
    terms = [t.strip() for t in rhs.split("+")]
    groups = pd.factorize(kept[cluster])[0]
    entry = {"nobs": len(kept), "terms": terms}
    # The dummies of two or three crossed effects are collinear (each year's exporter dummies and
    # importer dummies both sum to that year's indicator): keep a full-rank set of columns, the
    # regressors first, chosen by a pivoted QR, so statsmodels' IRLS converges.
    y_name = formula.split("~")[0].strip()
    design = pd.get_dummies(kept[fe].astype(str), drop_first=False, dtype=float)
    X = pd.concat([pd.DataFrame({"const": 1.0}, index=kept.index), kept[terms].astype(float), design], axis=1)
    columns = full_rank(X.values, first=1 + len(terms))
    X = X.iloc[:, columns]
    y = kept[y_name].astype(float).values
    if family == "poisson":
        model = sm.GLM(y, X, family=sm.families.Poisson())
        fits = {"nonrobust": model.fit(tol=1e-13, maxiter=500), "HC0": model.fit(cov_type="HC0", tol=1e-13, maxiter=500),
                "cluster": model.fit(cov_type="cluster", cov_kwds={"groups": groups}, tol=1e-13, maxiter=500)}
    else:
        model = (sm.Logit if family == "logit" else sm.Probit)(y, X)
        kw = dict(method="newton", tol=1e-13, maxiter=500, disp=0)
        fits = {"nonrobust": model.fit(**kw), "HC0": model.fit(cov_type="HC0", **kw),
                "cluster": model.fit(cov_type="cluster", cov_kwds={"groups": groups}, **kw)}
    entry["coef"] = [fits["nonrobust"].params[t] for t in terms]
    for label, fit in fits.items():
        entry[f"se_{label}"] = [fit.bse[t] for t in terms]
    entry["params"] = int(len(fits["nonrobust"].params))
    entry["loglik"] = float(fits["nonrobust"].llf)
    out_sm[name] = entry

with open(os.path.join(here, "glm_pyfixest.json"), "w") as f:
    json.dump(out_pf, f, indent=1)
with open(os.path.join(here, "glm_statsmodels.json"), "w") as f:
    json.dump(out_sm, f, indent=1)
for name in models:
    print(name, out_pf[name]["nobs"], out_sm[name]["nobs"], out_pf[name]["coef"], out_sm[name]["coef"])
