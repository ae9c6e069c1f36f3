#!/usr/bin/env python3
"""Heteroskedasticity-robust and two-way clustered SEs on the M2 panel (full sample), for
LinearFixedEffectsTests: pyfixest 0.60.0 (fixest's conventions) and statsmodels 0.15.0 (OLS
with province and year dummies); and plain OLS with an intercept (statsmodels). Writes m2_robust_reference.json beside this script.

Run with the benchmark venv: Benchmarks/models/.venv/bin/python ref_m2_robust.py
"""
import json
import os

import numpy as np
import pandas as pd
import pyfixest as pf
import statsmodels.api as sm
import statsmodels.formula.api as smf

here = os.path.dirname(os.path.abspath(__file__))
data = pd.read_csv(os.path.join(here, "m2_panel.csv"))
names = [f"x{i}" for i in range(1, 7)]
rhs = " + ".join(names)

fixest = pf.feols(f"y ~ {rhs} | province + year", data=data)
out = {"N": len(data), "names": names, "pyfixest": {}, "statsmodels": {}}
out["pyfixest"]["coef"] = fixest.coef().tolist()
out["pyfixest"]["se_hetero"] = pf.feols(f"y ~ {rhs} | province + year", data=data, vcov="hetero").se().tolist()
out["pyfixest"]["se_twoway_province_year"] = pf.feols(
    f"y ~ {rhs} | province + year", data=data, vcov={"CRV1": "province+year"}).se().tolist()
out["pyfixest"]["r2"] = float(fixest._r2)

ols = smf.ols(f"y ~ {rhs} + C(province) + C(year)", data=data)
out["statsmodels"]["se_HC1"] = ols.fit(cov_type="HC1").bse[names].tolist()
groups = np.column_stack([data["province"].to_numpy(), data["year"].to_numpy()])
out["statsmodels"]["se_twoway_province_year"] = ols.fit(cov_type="cluster", cov_kwds={"groups": groups}).bse[names].tolist()
out["statsmodels"]["rsquared"] = float(ols.fit().rsquared)
plain = smf.ols(f"y ~ {rhs}", data=data)
out["statsmodels_plain_ols"] = {
    "names": ["Intercept"] + names,
    "coef": plain.fit().params.tolist(),
    "se_nonrobust": plain.fit().bse.tolist(),
    "se_HC1": plain.fit(cov_type="HC1").bse.tolist(),
    "rsquared": float(plain.fit().rsquared),
}
out["versions"] = {"pyfixest": pf.__version__, "statsmodels": sm.__version__ if hasattr(sm, "__version__") else "0.15.0"}

with open(os.path.join(here, "m2_robust_reference.json"), "w") as f:
    json.dump(out, f, indent=1)
print(json.dumps(out, indent=1))
