#!/usr/bin/env python3
"""Formula functions (issue 21 point 1) on the M2 panel: pyfixest's feols on columns computed in
pandas, for Paperflow's

    log(y + 3) ~ log(x1 + 2) + I(x2^2) + x3^2 + poly(x4, 2) | province + year

clustered by province, keeping singletons (fixest) and dropping them (pyfixest's default, for
singletons: drop). Rows where a logarithm is undefined (y + 3 ≤ 0 or x1 + 2 ≤ 0) are NaN
here and dropped by pyfixest, as fixest drops them (no singletons removed: fixef_rm="none", fixest's
default). Writes functions_pyfixest.json.

    /tmp/pfx/bin/python ref_functions.py      (pyfixest 0.60.0, pandas, numpy)
"""
import json
import os

import numpy as np
import pandas as pd
import pyfixest as pf

here = os.path.dirname(os.path.abspath(__file__))
data = pd.read_csv(os.path.join(here, "m2_panel.csv"))
with np.errstate(invalid="ignore", divide="ignore"):
    data["ly"] = np.where(data.y + 3 > 0, np.log(np.maximum(data.y + 3, 1e-300)), np.nan)
    data["lx1"] = np.where(data.x1 + 2 > 0, np.log(np.maximum(data.x1 + 2, 1e-300)), np.nan)
data["x2sq"] = data.x2 ** 2
data["x3sq"] = data.x3 ** 2
data["x4sq"] = data.x4 ** 2
fit = pf.feols("ly ~ lx1 + x2sq + x3sq + x4 + x4sq | province + year", data, vcov={"CRV1": "province"}, fixef_rm="none")
out = {
    "terms": ["log(x1 + 2)", "I(x2^2)", "x3^2", "poly(x4, 2)1", "poly(x4, 2)2"],
    "coef": list(fit.coef().values), "se": list(fit.se().values), "nobs": int(fit._N),
    "dropped": int(len(data) - fit._N),
}
# pyfixest's default drops singletons (as reghdfe): for singletons: drop.
default = pf.feols("ly ~ lx1 + x2sq + x3sq + x4 + x4sq | province + year", data, vcov={"CRV1": "province"})
out["singletons_dropped"] = {"coef": list(default.coef().values), "se": list(default.se().values), "nobs": int(default._N)}
with open(os.path.join(here, "functions_pyfixest.json"), "w") as f:
    json.dump(out, f, indent=1)
print(out)
