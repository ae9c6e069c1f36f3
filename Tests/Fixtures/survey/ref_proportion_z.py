"""Reference z-tests for zhou2010_table2.csv from statsmodels' proportions_ztest.

Run with the benchmark venv: Benchmarks/models/.venv/bin/python ref_proportion_z.py
Writes proportion_z_statsmodels.json: per row, z and p for both standard-error forms.
"""
import csv, json
from statsmodels.stats.proportion import proportions_ztest

rows = list(csv.DictReader(open("zhou2010_table2.csv")))
out = []
for r in rows:
    k, n, p0 = int(r["sample_domestic"]), int(r["sample_n"]), float(r["database_domestic_pct"]) / 100
    z_sample, p_sample = proportions_ztest(k, n, value=p0)                # SE from the sample proportion
    z_null, p_null = proportions_ztest(k, n, value=p0, prop_var=p0)       # SE from p0
    out.append({"sector": r["sector"], "region": r["region"], "z_sample": z_sample, "p_sample": p_sample,
                "z_hypothesised": z_null, "p_hypothesised": p_null})
json.dump({"source": "statsmodels.stats.proportion.proportions_ztest", "rows": out}, open("proportion_z_statsmodels.json", "w"), indent=1)
