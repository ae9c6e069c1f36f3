#!/usr/bin/env python3
"""A probit whose linear predictor reaches ±9 (issue 20: 1 − Φ(x'b) by subtraction is 0 from
x'b ≈ 8.3, so the expected-information weight φ²/(Φ(1 − Φ)) was 0/0 and every SE NaN).

Writes probit_tail.csv (seeded: x uniform on [−3, 3], y ~ Bernoulli(Φ(0.2 + 3x))) and
probit_tail_statsmodels.json: statsmodels' Probit (observed information) and GLM Binomial with
the probit link (IRLS: expected information), coefficients and nonrobust SEs.

    python3 -m venv /tmp/pfx && /tmp/pfx/bin/pip install statsmodels==0.15.0 pandas
    /tmp/pfx/bin/python ref_probit_tail.py
"""
import json
import os

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy.stats import norm

here = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(83)
n = 2000
x = np.round(rng.uniform(-3, 3, n), 6)
y = (rng.random(n) < norm.cdf(0.2 + 3 * x)).astype(int)
pd.DataFrame({"y": y, "x": x}).to_csv(os.path.join(here, "probit_tail.csv"), index=False)
X = sm.add_constant(x)
observed = sm.Probit(y, X).fit(method="newton", tol=1e-14, maxiter=200, disp=0)
expected = sm.GLM(y, X, family=sm.families.Binomial(link=sm.families.links.Probit())).fit(tol=1e-14, maxiter=200)
eta = X @ observed.params
out = {
    "coef": list(observed.params), "se_observed": list(observed.bse),
    "glm_coef": list(expected.params), "se_expected": list(expected.bse),
    "max_eta": float(eta.max()), "min_eta": float(eta.min()),
}
with open(os.path.join(here, "probit_tail_statsmodels.json"), "w") as f:
    json.dump(out, f, indent=1)
print(out)
