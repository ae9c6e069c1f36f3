#!/usr/bin/env python3
"""fixest's multiple estimation (y1 + y2 ~, sw(), sw0(), csw()) on the M2 panel, for the model stages'
formula expansion: pyfixest's feols with the same formulas, each model's dependent variable,
fixed effects, terms, estimates and SEs (clustered by province, fixest's convention), in
multiple_pyfixest.json.

    python3 -m venv /tmp/pf && /tmp/pf/bin/pip install pyfixest==0.60.0 pandas
    /tmp/pf/bin/python ref_multiple.py
"""
import json
import os

import pandas as pd
import pyfixest as pf

here = os.path.dirname(os.path.abspath(__file__))
data = pd.read_csv(os.path.join(here, "m2_panel.csv"))
out = {}
for name, formula in [
    ("outcomes_cumulative", "y + x6 ~ x1 + csw(x2, x3) | province + year"),
    ("stepwise_zero", "y ~ x1 + sw0(x2, x3)"),
    ("fixed_effects", "y ~ x1 + x2 | sw(province, province + year)"),
]:
    fits = pf.feols(formula, data=data, vcov={"CRV1": "province"})
    models = []
    for model in fits.all_fitted_models.values():
        models.append({
            "depvar": model._depvar, "fixef": model._fixef or "", "terms": list(model.coef().index),
            "coef": list(model.coef().values), "se": list(model.se().values),
        })
    out[name] = models
with open(os.path.join(here, "multiple_pyfixest.json"), "w") as f:
    json.dump(out, f, indent=1)
for name, models in out.items():
    print(name, [(m["depvar"], m["fixef"], m["terms"]) for m in models])
