#!/usr/bin/env python3
"""The wild cluster bootstrap of one coefficient (the models' `bootstrap:`), against the
wildboottest package (PyPI; Fischer & Roodman's port of boottest's "fast and wild" algorithm) on
statsmodels OLS with year dummies, M2 panel, clustered by province:

- provinces 1–10 (G = 10): Rademacher weights with B = 9999 > 2^10, so every sign vector is
  enumerated and the p-values are exact: WCR (null imposed) and WCU for x1 and x3; and the 95%
  confidence set of x1 by inverting the WCR test, with a direct numpy implementation (below);
- all 30 provinces: Webb and Rademacher weights, B = 9999 random draws (seed 20261207), WCR, for
  x1 and x3 — Monte-Carlo p-values, to be met within their sampling error.

    python3 -m venv /tmp/wb && /tmp/wb/bin/pip install wildboottest==0.3.2 statsmodels pandas
    /tmp/wb/bin/python ref_wild.py
"""
import itertools
import json
import os
import warnings

import numpy as np
import pandas as pd
import statsmodels.formula.api as smf
from wildboottest.wildboottest import wildboottest

warnings.simplefilter("ignore")
here = os.path.dirname(os.path.abspath(__file__))
data = pd.read_csv(os.path.join(here, "m2_panel.csv"))
small = data[data.province <= 10].reset_index(drop=True)


def test(frame, param, weights="rademacher", impose_null=True, shift=0.0):
    frame = frame.assign(target=frame["y"] - shift * frame[param])
    model = smf.ols("target ~ x1 + x2 + x3 + C(year)", data=frame)
    result = wildboottest(model, param=param, cluster=frame["province"], B=9999, weights_type=weights,
                          impose_null=impose_null, seed=20261207, show=False)
    return float(result["statistic"].iloc[0]), float(result["p-value"].iloc[0])


out = {}
for param in ["x1", "x3"]:
    for impose in [True, False]:
        t, p = test(small, param, impose_null=impose)
        out[f"enumerated_{param}_{'wcr' if impose else 'wcu'}"] = {"t": t, "p": p, "draws": 1024}
    for weights in ["webb", "rademacher"]:
        t, p = test(data, param, weights=weights)
        out[f"random_{param}_{weights}"] = {"t": t, "p": p, "draws": 9999}

# The 95% set of x1 (provinces 1-10), by a direct implementation: every one of the 1,024 sign
# vectors refitted with the dummies (no fast algebra), the p-value of b_x1 = r the share of
# |t*| > |t| — the draws v = ±1, which reproduce |t| exactly under WCR, not counted (wildboottest
# counts them when rounding puts |t*| above |t|, so its p-values may exceed these by 2/1024) —
# and the bounds where it crosses 0.05, by bisection on r (60 steps a side).
years = pd.get_dummies(small["year"].astype(str), prefix="year", drop_first=True).astype(float)
X = np.column_stack([np.ones(len(small)), small[["x1", "x2", "x3"]].to_numpy(), years.to_numpy()])
y = small["y"].to_numpy()
groups = np.unique(small["province"], return_inverse=True)[1]
G = groups.max() + 1
A = np.linalg.inv(X.T @ X)
influence = (A @ X.T)[1]
signs = np.array(list(itertools.product([-1.0, 1.0], repeat=G))).T  # G x 1024


def t_statistics(Y, r):
    """t of b_x1 − r with the unscaled CRVE, for each column of Y."""
    b = A @ X.T @ Y
    U = Y - X @ b
    scores = np.zeros((G, Y.shape[1]))
    np.add.at(scores, groups, influence[:, None] * U)
    return (b[1] - r) / np.sqrt((scores ** 2).sum(0))


def p_value(r):
    t = t_statistics(y[:, None], r)[0]
    Xr = np.delete(X, 1, axis=1)
    target = y - r * X[:, 1]
    fitted = Xr @ np.linalg.lstsq(Xr, target, rcond=None)[0] + r * X[:, 1]
    residual = y - fitted
    Y = fitted[:, None] + signs[groups] * residual[:, None]
    return float(np.mean(np.abs(t_statistics(Y, r)) > abs(t) * (1 + 1e-10)))


estimate = float((A @ X.T @ y)[1])
se = float(abs(estimate / t_statistics(y[:, None], 0)[0]))
bounds = []
for direction in [-1, 1]:
    inside, outside = estimate, estimate + direction * se
    while p_value(outside) > 0.05:
        inside, outside = outside, estimate + 2 * (outside - estimate)
    for _ in range(60):
        middle = (inside + outside) / 2
        if p_value(middle) > 0.05:
            inside = middle
        else:
            outside = middle
    bounds.append((inside + outside) / 2)
out["enumerated_x1_ci"] = {"low": bounds[0], "high": bounds[1], "estimate": estimate, "se": se, "p_at_0": p_value(0.0)}
with open(os.path.join(here, "wild_wildboottest.json"), "w") as f:
    json.dump(out, f, indent=1)
print(json.dumps(out, indent=1))
