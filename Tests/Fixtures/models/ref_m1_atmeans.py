#!/usr/bin/env python3
"""Marginal effects at means of liu-zhu-2021's model (4) probit on m1_100k.csv, by statsmodels
0.15.0 (`get_margeff(at="mean")`: each column at its own mean, the interaction its own
variable; SEs by the delta method under the fit's classical observed-information covariance).
Writes m1_100k_probit_atmeans_statsmodels.json beside this script.

Run with the benchmark venv: Benchmarks/models/.venv/bin/python ref_m1_atmeans.py
"""
import json
import os
import re

import pandas as pd
import statsmodels.formula.api as smf

here = os.path.dirname(os.path.abspath(__file__))
data = pd.read_csv(os.path.join(here, "m1_100k.csv"))
data["density_firm_x_density_city"] = data["density_firm"] * data["density_city"]
fit = smf.probit("export ~ density_firm + density_city + density_firm_x_density_city + ln_tradevalue + ln_newexport"
                 " + C(year) + C(hs2)", data).fit(disp=0, method="newton", tol=1e-12, maxiter=100)
margins = fit.get_margeff(at="mean", method="dydx")
names = [re.sub(r"C\((\w+)\)\[T\.(\w+)\]", r"\1_\2", n).replace("density_firm_x_density_city", "density_firm:density_city")
         for n in fit.params.index[1:]]
out = {"tool": "statsmodels 0.15.0", "names": names, "mem": margins.margeff.tolist(), "mem_se": margins.margeff_se.tolist()}
with open(os.path.join(here, "m1_100k_probit_atmeans_statsmodels.json"), "w") as f:
    json.dump(out, f, indent=1)
print(json.dumps({k: v[:6] for k, v in out.items() if isinstance(v, list)}))
