"""Paperflow plugin: a probit in statsmodels, written in the fit format of models.probit.

Protocol (Paperflow's external plugins): argv[1] is a JSON request with params, inputs (paths,
here a CSV), outputs (the path to write each one) and the path of the reply to write. The reply
lists the outputs and passes messages and diagnostics to the user. Errors in the request (a
formula this plugin cannot read, a missing column) are reported as error diagnostics with exit
status 2; anything unexpected is a traceback and a non-zero status, which Paperflow shows.
"""
import itertools
import json
import re
import sys

import numpy as np
import pandas as pd
import statsmodels
import statsmodels.api as sm
from scipy import stats

STARS = [(0.01, "***"), (0.05, "**"), (0.1, "*")]


class RequestError(Exception):
    pass


def parse_formula(text):
    """fixest's `y ~ a*b + c:d + e | fe1 + fe2` into (outcome, [terms], [fixed effects]).

    A term is a tuple of variable names (an interaction when longer than one); `a*b` expands to
    a, b, a:b; terms are ordered by degree, as R (and models.probit) order them."""
    if text.count("~") != 1:
        raise RequestError(f"formula '{text}' needs exactly one '~'")
    left, right = (part.strip() for part in text.split("~"))
    rhs, _, fe_text = right.partition("|")
    name = r"[A-Za-z_.][A-Za-z0-9_.]*"
    if not re.fullmatch(name, left):
        raise RequestError(f"formula '{text}': the outcome must be one column name")
    terms = []
    for piece in (p.strip() for p in rhs.split("+")):
        if not piece:
            raise RequestError(f"formula '{text}': an empty term between '+' signs")
        if "*" in piece:
            parts = [p.strip() for p in piece.split("*")]
            candidates = [c for width in range(1, len(parts) + 1) for c in itertools.combinations(parts, width)]
        else:
            candidates = [tuple(p.strip() for p in piece.split(":"))]
        for term in candidates:
            if not all(re.fullmatch(name, v) for v in term):
                raise RequestError(
                    f"formula '{text}': cannot read '{piece}'; statsmodels-probit takes x, x1*x2 and x1:x2 terms "
                    "(use models.probit for i(), ^ and the rest of fixest's syntax)")
            if term not in terms:
                terms.append(term)
    terms.sort(key=len)
    fixed = [f.strip() for f in fe_text.split("+")] if fe_text.strip() else []
    for fe in fixed:
        if not re.fullmatch(name, fe):
            raise RequestError(f"formula '{text}': fixed effect '{fe}' must be a column name")
    return left, terms, fixed


def level_name(value):
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


def main():
    request = json.load(open(sys.argv[1]))
    params = request["params"]
    reply = {"outputs": {}, "messages": [], "diagnostics": []}
    try:
        fit = estimate(request, params, reply)
    except RequestError as error:
        reply["diagnostics"].append({"level": "error", "message": str(error)})
        json.dump(reply, open(request["reply"], "w"))
        sys.exit(2)
    path = request["outputs"]["fit"]["path"]
    with open(path, "w") as out:
        json.dump(fit, out, indent=1, sort_keys=True)
    reply["outputs"]["fit"] = "fit.json"
    json.dump(reply, open(request["reply"], "w"))


def estimate(request, params, reply):
    table_input = request["inputs"]["table"][0]
    data = pd.read_csv(table_input["path"], keep_default_na=True, low_memory=False)
    outcome, terms, fixed = parse_formula(params["formula"])
    vcov = params.get("vcov", "classical")
    clusters = []
    if isinstance(vcov, dict):
        clusters = vcov.get("cluster", [])
        if list(vcov) != ["cluster"] or len(clusters) != 1:
            raise RequestError("vcov takes classical, hc1 or {cluster: [var]} (statsmodels clusters one way)")
    elif vcov not in ("classical", "hc1"):
        raise RequestError(f"vcov '{vcov}' is not one of classical, hc1, {{cluster: [var]}}")
    needed = [outcome] + sorted({v for t in terms for v in t}) + fixed + clusters
    for column in needed:
        if column not in data.columns:
            raise RequestError(f"column '{column}' is not in the table; it has {', '.join(data.columns)}")
    complete = data[list(dict.fromkeys(needed))].notna().all(axis=1)
    dropped = int((~complete).sum())
    data = data[complete].reset_index(drop=True)
    if dropped:
        reply["messages"].append(f"{dropped} rows with missing values left out")

    columns = {"(Intercept)": np.ones(len(data))}
    for term in terms:
        values = np.ones(len(data))
        for variable in term:
            values = values * data[variable].to_numpy(dtype=float)
        columns[":".join(term)] = values
    fixed_effects = []
    for fe in fixed:
        levels = sorted(data[fe].unique())
        fixed_effects.append({"name": fe, "levels": len(levels)})
        codes = data[fe].to_numpy()
        for level in levels[1:]:
            columns[f"{fe}_{level_name(level)}"] = (codes == level).astype(float)
    names = list(columns)
    design = np.column_stack([columns[n] for n in names])
    y = data[outcome].to_numpy(dtype=float)

    model = sm.Probit(y, design)
    if clusters:
        groups = pd.factorize(data[clusters[0]])[0]
        result = model.fit(method="newton", disp=False, tol=1e-12, maxiter=100, cov_type="cluster", cov_kwds={"groups": groups})
    elif vcov == "hc1":
        result = model.fit(method="newton", disp=False, tol=1e-12, maxiter=100, cov_type="HC1")
    else:
        result = model.fit(method="newton", disp=False, tol=1e-12, maxiter=100)
    converged = bool(result.mle_retvals.get("converged", True))
    if not converged:
        reply["diagnostics"].append({"level": "warning", "message": "Newton's method did not converge in 100 iterations"})
    covariance = np.asarray(result.cov_params())
    rows = []
    for index, name in enumerate(names):
        estimate = float(result.params[index])
        se = float(np.sqrt(covariance[index, index]))
        z = estimate / se
        p = float(2 * stats.norm.sf(abs(z)))
        stars = next((s for level, s in STARS if p < level), "")
        rows.append({"name": name, "estimate": estimate, "se": se, "statistic": z, "p": p, "stars": stars})
    reply["messages"].append(f"statsmodels {statsmodels.__version__}: {len(y)} observations, {len(names)} columns, "
                             f"{int(result.mle_retvals.get('iterations', 0))} Newton iterations")
    formula = f"{outcome} ~ " + " + ".join(":".join(t) for t in terms) + (" | " + " + ".join(fixed) if fixed else "")
    return {
        "estimator": "probit",
        "implementation": f"statsmodels {statsmodels.__version__}",
        "formula": formula,
        "table_digest": table_input["digest"],
        "subset": "",
        "observations": int(len(y)),
        "observations_dropped_missing": dropped,
        "coefficients": rows,
        "vcov_matrix": covariance.tolist(),
        "log_likelihood": float(result.llf),
        "iterations": int(result.mle_retvals.get("iterations", 0)),
        "converged": converged,
        "collinear": [],
        "separated": [],
        "convention": "statsmodels",
        "vcov": "classical" if vcov == "classical" else "hc1" if vcov == "hc1" else "cluster: " + ", ".join(clusters),
        "fixed_effects": fixed_effects,
    }


if __name__ == "__main__":
    main()
