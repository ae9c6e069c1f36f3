#!/usr/bin/env python3
"""Fixture for GaussianMixtureTests and DensityTests.

three_clusters.csv: 750 points in 2-D from three well-separated Gaussians (numpy seed 2025),
with the true label. gmm_sklearn.json: scikit-learn GaussianMixture (full and diagonal, k = 1..5,
k-means++ init, n_init = 10, tol = 1e-10, reg_covar = 1e-6): BIC, AIC, log-likelihood, and at
k = 3 the weights and means. density_reference.json: R's bw.nrd0 (Silverman's rule of thumb,
computed here by its formula), the Gaussian KDE at a grid (scipy gaussian_kde with that
bandwidth), and type-7 quantiles (numpy "linear") of the first coordinate.

Run with the benchmark venv: Benchmarks/models/.venv/bin/python make_fixture.py
"""
import json
import os

import numpy as np
import scipy
import sklearn
from scipy import stats
from sklearn.mixture import GaussianMixture

here = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(2025)
specs = [
    (200, [0.0, 0.0], [[1.0, 0.3], [0.3, 0.5]]),
    (300, [8.0, 1.0], [[0.6, -0.2], [-0.2, 1.2]]),
    (250, [3.0, 9.0], [[1.5, 0.0], [0.0, 0.4]]),
]
points, labels = [], []
for label, (n, mean, cov) in enumerate(specs):
    points.append(rng.multivariate_normal(mean, cov, n))
    labels += [label] * n
X = np.vstack(points)
order = rng.permutation(len(X))
X, labels = X[order], np.array(labels)[order]
with open(os.path.join(here, "three_clusters.csv"), "w") as f:
    f.write("x,y,label\n")
    for (x, y), label in zip(X, labels):
        f.write(f"{float(x)!r},{float(y)!r},{label}\n")

out = {"sklearn": sklearn.__version__, "N": len(X), "fits": {}}
for kind, sk in [("full", "full"), ("diagonal", "diag")]:
    rows = []
    for k in range(1, 6):
        gm = GaussianMixture(k, covariance_type=sk, init_params="k-means++", n_init=10, tol=1e-10,
                             max_iter=10000, reg_covar=1e-6, random_state=0).fit(X)
        row = {"k": k, "bic": gm.bic(X), "aic": gm.aic(X), "loglik": float(gm.score(X) * len(X))}
        if k == 3:
            row["weights"] = gm.weights_.tolist()
            row["means"] = gm.means_.tolist()
        rows.append(row)
    out["fits"][kind] = rows
with open(os.path.join(here, "gmm_sklearn.json"), "w") as f:
    json.dump(out, f, indent=1)

x = X[:, 0]
sd = x.std(ddof=1)
iqr = np.subtract(*np.percentile(x, [75, 25]))
bw = 0.9 * min(sd, iqr / 1.34) * len(x) ** (-0.2)
kde = stats.gaussian_kde(x, bw_method=bw / sd)
grid = np.linspace(-4, 12, 33)
probabilities = [0, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 1]
density = {"scipy": scipy.__version__, "bandwidth": bw, "grid": grid.tolist(), "density": kde(grid).tolist(),
           "probabilities": probabilities, "quantiles": np.quantile(x, probabilities).tolist()}
with open(os.path.join(here, "density_reference.json"), "w") as f:
    json.dump(density, f, indent=1)
print(json.dumps({k: [(r["k"], round(r["bic"], 3)) for r in v] for k, v in out["fits"].items()}))
