#!/usr/bin/env python3
"""References for convention: stata (reghdfe's rules) and stata-areg (areg's) on models.fe.

stata_panel.csv: 80 firms over up to 6 years (unbalanced, seeded), 8 of them observed once
(singletons), y = 0.6·x1 − 0.4·x2 + firm + year + N(0, 1). The model is
y ~ x1 + x2 | firm + year, clustered by firm — the firm effects are nested in the clusters.

No Stata runs here, so the references are the tools that compute each documented rule:
- reghdfe (help reghdfe: singletons dropped by default; dofadjustments(clusters): fixed effects
  nested in a cluster variable are not counted; vce(cluster): G/(G−1)·(N−1)/(N−K); vce(robust):
  N/(N−K) with the absorbed degrees of freedom in K; unadjusted: e'e/(N−K)): pyfixest 0.60's feols
  with its defaults (singletons dropped, fixef_k "nested") for the clustered SEs, and statsmodels
  0.15 OLS with every dummy, on the rows left once singletons are dropped, for the classical and
  HC1 SEs;
- areg (singletons kept; every absorbed level counted in K, nested or not): statsmodels OLS with
  every dummy on all rows, nonrobust, HC1 and clustered (G/(G−1)·(N−1)/(N−K)).

    python3 -m venv /tmp/pfx && /tmp/pfx/bin/pip install pyfixest==0.60.0 statsmodels==0.15.0
    /tmp/pfx/bin/python ref_stata.py
"""
import json
import os
import warnings

import numpy as np
import pandas as pd
import pyfixest as pf
import statsmodels.formula.api as smf

here = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(2026120703)
firm_effect = rng.normal(0, 1, 80)
year_effect = rng.normal(0, 0.5, 6)
rows = []
for f in range(80):
    years = [int(rng.integers(0, 6))] if f < 8 else sorted(rng.choice(6, size=int(rng.integers(2, 7)), replace=False))
    for t in years:
        x1, x2 = rng.normal(), rng.normal()
        y = 0.6 * x1 - 0.4 * x2 + firm_effect[f] + year_effect[t] + rng.normal()
        rows.append(dict(firm=f"F{f:02d}", year=2010 + int(t), x1=round(x1, 8), x2=round(x2, 8), y=round(y, 8)))
pd.DataFrame(rows).to_csv(os.path.join(here, "stata_panel.csv"), index=False)

data = pd.read_csv(os.path.join(here, "stata_panel.csv"))
terms = ["x1", "x2"]
counts = data.groupby("firm").firm.transform("size")
kept = data[counts > 1].reset_index(drop=True)
out = {}
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    clustered = pf.feols("y ~ x1 + x2 | firm + year", data, vcov={"CRV1": "firm"})
    dummies = smf.ols("y ~ x1 + x2 + C(firm) + C(year)", kept)
    out["reghdfe"] = {
        "terms": terms, "nobs": int(clustered._N), "coef": [float(clustered.coef()[t]) for t in terms],
        "se_cluster": [float(clustered.se()[t]) for t in terms],
        "se_iid": [float(dummies.fit().bse[t]) for t in terms],
        "se_hc1": [float(dummies.fit(cov_type="HC1").bse[t]) for t in terms],
        "coef_dummies": [float(dummies.fit().params[t]) for t in terms],
    }
    everything = smf.ols("y ~ x1 + x2 + C(firm) + C(year)", data)
    groups = pd.factorize(data.firm)[0]
    out["areg"] = {
        "terms": terms, "nobs": int(len(data)), "coef": [float(everything.fit().params[t]) for t in terms],
        "se_iid": [float(everything.fit().bse[t]) for t in terms],
        "se_hc1": [float(everything.fit(cov_type="HC1").bse[t]) for t in terms],
        "se_cluster": [float(everything.fit(cov_type="cluster", cov_kwds={"groups": groups}).bse[t]) for t in terms],
    }
with open(os.path.join(here, "stata_reference.json"), "w") as f:
    json.dump(out, f, indent=1)
    f.write("\n")
for name, value in out.items():
    print(name, value)
