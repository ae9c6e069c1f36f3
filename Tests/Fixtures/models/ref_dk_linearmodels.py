#!/usr/bin/env python3
"""Driscoll–Kraay standard errors on the M2 panel with province and year effects, from
linearmodels' PanelOLS (cov_type="kernel", Bartlett, bandwidth 2 and 3 with debiased=False, which scales by N/(N − df),
df the fixed effects' degrees of freedom; bandwidth 2 with debiased=True, N/(N − df − K)), for the
linear fit's kernel covariance (scores summed within each year). Writes dk_linearmodels.json.

    /tmp/pf/bin/pip install linearmodels==7.1 && /tmp/pf/bin/python ref_dk_linearmodels.py
"""
import json
import os

import pandas as pd
from linearmodels import PanelOLS

here = os.path.dirname(os.path.abspath(__file__))
data = pd.read_csv(os.path.join(here, "m2_panel.csv")).set_index(["province", "year"])
model = PanelOLS.from_formula("y ~ x1 + x2 + x3 + EntityEffects + TimeEffects", data)
out = {}
for bandwidth, debiased in [(2, False), (3, False), (2, True)]:
    fit = model.fit(cov_type="kernel", kernel="bartlett", bandwidth=bandwidth, debiased=debiased)
    out[f"bandwidth_{bandwidth}{'_debiased' if debiased else ''}"] = {"terms": list(fit.params.index), "coef": [float(v) for v in fit.params.values], "se": [float(v) for v in fit.std_errors.values],
                                     "nobs": int(fit.nobs), "df_model": int(fit.df_model)}
with open(os.path.join(here, "dk_linearmodels.json"), "w") as f:
    json.dump(out, f, indent=1)
print(out)
