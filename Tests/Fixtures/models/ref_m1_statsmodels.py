#!/usr/bin/env python3
"""statsmodels 0.15.0 references for liu-zhu-2021's model (4) probit on m1_100k.csv (dummies
for year and HS2, the interaction its own column). Writes beside this script:

- m1_100k_probit_atmeans_statsmodels.json: marginal effects at means, `get_margeff(at="mean")`
  (each column at its own mean, the interaction its own variable; delta-method SEs under the
  classical observed-information covariance);
- m1_100k_probit_robust_statsmodels.json: cov_type="HC1" and two-way clusters (firm, year) as
  cov_cluster_2groups (each term G/(G-1)*(N-1)/(N-K) with its own G); observed-information
  bread; a NaN SE (negative two-way variance) written as null.

Run with the benchmark venv: Benchmarks/models/.venv/bin/python ref_m1_statsmodels.py
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


def write(name, out):
    with open(os.path.join(here, name), "w") as f:
        json.dump(out, f, indent=1)


margins = model.fit(**kwargs).get_margeff(at="mean", method="dydx")
write("m1_100k_probit_atmeans_statsmodels.json",
      {"tool": "statsmodels 0.15.0", "names": names[1:], "mem": margins.margeff.tolist(), "mem_se": margins.margeff_se.tolist()})

finite = lambda values: [v if np.isfinite(v) else None for v in values]
groups = np.column_stack([pd.factorize(data["firm"])[0], pd.factorize(data["year"])[0]])
write("m1_100k_probit_robust_statsmodels.json",
      {"tool": "statsmodels 0.15.0", "names": names,
       "se_HC1_observed": finite(model.fit(cov_type="HC1", **kwargs).bse),
       "se_twoway_firm_year_observed": finite(model.fit(cov_type="cluster", cov_kwds={"groups": groups}, **kwargs).bse)})
