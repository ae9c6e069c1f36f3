#!/usr/bin/env python3
"""data.derive's panel operators and group summaries (by: [province], order: year), against
pandas on the panel with gaps (panel_gaps.csv: M2 with the rows whose index is divisible by 11
removed): l(x1, 1) and l(x1, 2) and f(x2, 1) by merging on year ∓ k (a gap gives NaN, never the
previous row), d(x3) = x3 − its value the year before, the province mean and sum of x4, the rank
of x5 within each region (average ties, as R's rank and pandas' method="average"), and the
cumulative sum of x6 along the years of each province. Writes derive_panel_pandas.csv: the
derived columns in the table's row order.

    /tmp/pf/bin/python ref_derive_panel.py   (pandas)
"""
import os

import pandas as pd

here = os.path.dirname(os.path.abspath(__file__))
data = pd.read_csv(os.path.join(here, "panel_gaps.csv"))
out = pd.DataFrame(index=data.index)


def shifted(column, periods):
    source = data[["province", "year", column]].copy()
    source["year"] = source["year"] + periods
    merged = data[["province", "year"]].merge(source, on=["province", "year"], how="left")
    return merged[column].to_numpy()


out["lag1"] = shifted("x1", 1)
out["lag2"] = shifted("x1", 2)
out["lead1"] = shifted("x2", -1)
out["diff"] = data["x3"] - shifted("x3", 1)
out["mean4"] = data.groupby("province")["x4"].transform("mean")
out["sum4"] = data.groupby("province")["x4"].transform("sum")
out["rank5"] = data.assign(r=data["x5"].round(1)).groupby("region")["r"].rank(method="average")
out["cum6"] = data.sort_values("year").groupby("province")["x6"].cumsum().reindex(data.index)
out.to_csv(os.path.join(here, "derive_panel_pandas.csv"), index=False, float_format="%.17g")
print(out.head())
