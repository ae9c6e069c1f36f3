#!/usr/bin/env python3
"""A logit whose plain Newton iteration from β = 0 diverges although the estimate exists.

newton_overshoot.csv: 40 rows, two heavy-tailed regressors (Student t with 1.5 degrees of
freedom, scaled), y from a logit; found by a seeded search (below) for data where Newton's
method without step halving, started at zero, runs off to |β| ≈ 1e9 and a singular Hessian
(statsmodels' Logit(...).fit(method="newton") fails the same way), while the log-likelihood has
a finite maximum (its standard errors are finite and small). newton_reference.json: statsmodels 0.15 GLM Binomial (IRLS from the data's
starting values, which avoids the overshoot), coefficients and SEs at tolerance 1e-14.

    python3 -m venv /tmp/pfx && /tmp/pfx/bin/pip install statsmodels==0.15.0 scipy pandas
    /tmp/pfx/bin/python ref_newton.py
"""
import json
import os
import warnings

import numpy as np
import pandas as pd
import statsmodels.api as sm

here = os.path.dirname(os.path.abspath(__file__))
warnings.simplefilter("ignore")


def newton_diverges(X, y):
    b = np.zeros(X.shape[1])
    for _ in range(60):
        p = 1 / (1 + np.exp(-(X @ b)))
        try:
            step = np.linalg.solve((X.T * (p * (1 - p))) @ X, X.T @ (y - p))
        except np.linalg.LinAlgError:
            return True
        b = b + step
        if not np.all(np.isfinite(b)):
            return True
        if np.max(np.abs(step)) < 1e-9 * max(1, np.max(np.abs(b))):
            return False
    return True


rng = np.random.default_rng(11)
for trial in range(20000):
    family = ["logit", "probit"][trial % 2]
    n = int(rng.integers(8, 60))
    k = int(rng.integers(1, 4))
    X = np.column_stack([np.ones(n)] + [rng.standard_t(1.5, n) * rng.choice([1, 3, 10]) for _ in range(k)])
    beta = rng.normal(0, 2, k + 1)
    y = ((X @ beta) + rng.logistic(0, 1, n) > 0).astype(float)
    if family != "logit" or y.sum() in (0, n) or k != 2:
        continue
    if newton_diverges(X, y):
        fit = sm.GLM(y, X, family=sm.families.Binomial()).fit(tol=1e-14, maxiter=200)
        if fit.converged and np.max(np.abs(fit.params)) < 20 and np.max(fit.bse) < 10:
            break
data = pd.DataFrame({"x1": X[:, 1], "x2": X[:, 2], "y": y.astype(int)})
data.to_csv(os.path.join(here, "newton_overshoot.csv"), index=False, float_format="%.17g")
data = pd.read_csv(os.path.join(here, "newton_overshoot.csv"))
X = sm.add_constant(data[["x1", "x2"]].to_numpy())
fit = sm.GLM(data.y.to_numpy(), X, family=sm.families.Binomial()).fit(tol=1e-14, maxiter=200)
out = {"trial": trial, "terms": ["(Intercept)", "x1", "x2"], "coef": [float(v) for v in fit.params],
       "se": [float(v) for v in fit.bse], "newton_diverges": bool(newton_diverges(X, data.y.to_numpy()))}
with open(os.path.join(here, "newton_reference.json"), "w") as f:
    json.dump(out, f, indent=1)
    f.write("\n")
print(out)
