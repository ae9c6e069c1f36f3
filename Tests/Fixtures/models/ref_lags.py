#!/usr/bin/env python3
"""Panel operators (issue 21 point 2) on the M2 panel with gaps: rows with (province·7 + year)
divisible by 11 removed (panel_gaps.csv), so a lag must be looked up by year, not taken from the
row before. pyfixest's feols on lags built in pandas by a merge on (province, year ∓ k), for
Paperflow's

    y ~ x1 + l(x2, 1) + f(x3, 1) + d(x4) + l(x5, 1:2) | province + year    (panel: province, year)

clustered by province, no singletons removed (fixest's default). Writes lags_pyfixest.json.

    /tmp/pfx/bin/python ref_lags.py      (pyfixest 0.60.0, pandas)
"""
import json
import os

import pandas as pd
import pyfixest as pf

here = os.path.dirname(os.path.abspath(__file__))
data = pd.read_csv(os.path.join(here, "m2_panel.csv"))
data = data[(data.province * 7 + data.year) % 11 != 0].reset_index(drop=True)
data.to_csv(os.path.join(here, "panel_gaps.csv"), index=False)


def shifted(column, lag):
    """column's value `lag` years before (negative: after), NaN where that year has no row."""
    other = data[["province", "year", column]].copy()
    other["year"] = other["year"] + lag
    merged = data[["province", "year"]].merge(other, on=["province", "year"], how="left")
    return merged[column].values


data["l_x2"] = shifted("x2", 1)
data["f_x3"] = shifted("x3", -1)
data["d_x4"] = data["x4"] - shifted("x4", 1)
data["l1_x5"] = shifted("x5", 1)
data["l2_x5"] = shifted("x5", 2)
fit = pf.feols("y ~ x1 + l_x2 + f_x3 + d_x4 + l1_x5 + l2_x5 | province + year", data, vcov={"CRV1": "province"}, fixef_rm="none")
out = {
    "terms": ["x1", "l(x2, 1)", "f(x3, 1)", "d(x4)", "l(x5, 1)", "l(x5, 2)"],
    "coef": list(fit.coef().values), "se": list(fit.se().values), "nobs": int(fit._N), "rows": len(data),
}
with open(os.path.join(here, "lags_pyfixest.json"), "w") as f:
    json.dump(out, f, indent=1)
print(out)
