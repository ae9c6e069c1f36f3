#!/usr/bin/env python3
"""Event-study coding (issue 21 point 3): fixest's i(f, x, ref = k) and i(f, ref = k), on the M2
panel with provinces 1–10 treated from 2008 (event_panel.csv adds rel = year − 2008 and
treated), by pyfixest's feols with the same syntax:

    y ~ i(rel, treated, ref = -1) | province + year      (clustered by province)
    y ~ x1 + i(region, ref = west)                         (classical)

Writes event_pyfixest.json (coefficients and SEs in pyfixest's order, levels ascending).

    /tmp/pfx/bin/python ref_event.py      (pyfixest 0.60.0, pandas)
"""
import json
import os

import pandas as pd
import pyfixest as pf

here = os.path.dirname(os.path.abspath(__file__))
data = pd.read_csv(os.path.join(here, "m2_panel.csv"))
data["treated"] = (data.province <= 10).astype(int)
data["rel"] = data.year - 2008
data.to_csv(os.path.join(here, "event_panel.csv"), index=False)
out = {}
fit = pf.feols("y ~ i(rel, treated, ref=-1) | province + year", data, vcov={"CRV1": "province"}, fixef_rm="none")
out["event"] = {"terms": list(fit.coef().index), "coef": list(fit.coef().values), "se": list(fit.se().values)}
fit = pf.feols("y ~ x1 + i(region, ref='west')", data, vcov="iid")
out["reference"] = {"terms": list(fit.coef().index), "coef": list(fit.coef().values), "se": list(fit.se().values)}
with open(os.path.join(here, "event_pyfixest.json"), "w") as f:
    json.dump(out, f, indent=1)
print(json.dumps({k: v["terms"] for k, v in out.items()}))
