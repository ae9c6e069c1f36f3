"""Writes the .dta fixtures io.dta is tested on, with the tools researchers' files come from,
and what those tools read back from them (the expected values).

    python3 -m venv /tmp/dta && /tmp/dta/bin/pip install pandas==3.1.1 pyreadstat==1.3.8
    /tmp/dta/bin/python make_fixtures.py

pandas.to_stata writes formats 114, 117, 118 and 119 (value labels from a categorical,
strL for a long text column from 117 on, %td and %tc dates, system missing `.`); pyreadstat
writes format 118 with extended missing values .a–.z. expected.json holds, per file, each
column as pandas.read_stata reads it (dates as ISO text, missing as null) and the missing
codes pyreadstat reports with user_missing=True.
"""
import json
import datetime as dt
import numpy as np
import pandas as pd
import pyreadstat

rows = 7
frame = pd.DataFrame({
    "firm": pd.array([1, 2, 3, 4, 5, 6, 7], dtype="int32"),
    "small": pd.array([-5, 0, 100, 7, 3, 2, 1], dtype="int8"),
    "medium": pd.array([-32000, 0, 32000, 12, 13, 14, 15], dtype="int16"),
    "value": [1.5, np.nan, -2.25, 1e10, 0.1, 3.0, 2.5],
    "share": np.array([0.5, 0.25, np.nan, 1.0, 0.125, 0.75, 0.3], dtype="float32"),
    "code": ["0101", "0202", "", "8471", "0101", "9999", "0001"],
    "region": pd.Categorical(["East", "West", "East", "Central", "Northeast", "West", "East"]),
    "day": pd.to_datetime(["2009-01-31", "1960-01-01", "1959-12-31", "2016-02-29", "2000-06-15", "1999-12-31", "2011-11-11"]),
    "stamp": pd.to_datetime(["2009-01-31 12:30:15.250", "1960-01-01 00:00:00", "2016-02-29 23:59:59.999",
                             "2000-06-15 06:00:00", "1970-01-01 00:00:01", "1999-12-31 23:59:59", "2011-11-11 11:11:11"], format="ISO8601"),
})
labels = {"firm": "firm id", "value": "export value (USD)", "share": "processing share", "code": "HS4 code",
          "region": "region of the city", "day": "first export", "stamp": "record time"}

expected = {}

def record(name, path, **read):
    back = pd.read_stata(path, convert_categoricals=True, convert_dates=True)
    columns = {}
    for column in back.columns:
        values = back[column]
        if pd.api.types.is_datetime64_any_dtype(values):
            if column == "stamp":
                columns[column] = [None if pd.isna(v) else v.strftime("%Y-%m-%dT%H:%M:%S.") + f"{v.microsecond // 1000:03d}" for v in values]
            else:
                columns[column] = [None if pd.isna(v) else v.strftime("%Y-%m-%d") for v in values]
        elif not pd.api.types.is_numeric_dtype(values) or isinstance(values.dtype, pd.CategoricalDtype):
            columns[column] = [None if (v is None or (isinstance(v, float) and np.isnan(v))) else str(v) for v in values]
        else:
            columns[column] = [None if pd.isna(v) else float(v) for v in values]
    _, meta = pyreadstat.read_dta(path, user_missing=True)
    entry = {"columns": columns, "labels": meta.column_names_to_labels, "formats": meta.original_variable_types}
    entry.update(read)
    expected[name] = entry

for version in (114, 117, 118, 119):
    path = f"pandas_{version}.dta"
    out = frame.copy()
    if version == 114:
        out["code"] = out["code"].astype(str)
    kwargs = {"convert_strl": ["code"]} if version >= 117 else {}
    out.to_stata(path, version=version, write_index=False, convert_dates={"day": "td", "stamp": "tc"},
                 variable_labels=labels, data_label="Paperflow fixture", **kwargs)
    record(path, path)

# Unicode text (formats 118 and 119 are UTF-8).
uni = pd.DataFrame({"city": ["南京", "Suzhou", "上海 Shanghai", "Ürümqi"], "n": pd.array([1, 2, 3, 4], dtype="int32")})
uni.to_stata("pandas_118_utf8.dta", version=118, write_index=False)
record("pandas_118_utf8.dta", "pandas_118_utf8.dta")

# Extended missing values with pyreadstat: .a, .b and . in a double, .z in an integer.
missing = pd.DataFrame({"income": pd.Series([1.0, "a", 3.0, "b", np.nan], dtype=object),
                        "age": pd.Series([30.0, 40.0, "z", 50.0, 60.0], dtype=object)})
missing_values = {"income": ["a", "b"], "age": ["z"]}
pyreadstat.write_dta(missing, "pyreadstat_missing.dta", missing_user_values=missing_values)
back, meta = pyreadstat.read_dta("pyreadstat_missing.dta", user_missing=True)
expected["pyreadstat_missing.dta"] = {
    "columns": {c: [None if (isinstance(v, float) and np.isnan(v)) else (v if isinstance(v, str) else float(v)) for v in back[c]] for c in back.columns},
    "labels": meta.column_names_to_labels, "formats": meta.original_variable_types,
}

with open("expected.json", "w") as f:
    json.dump(expected, f, indent=1, ensure_ascii=False, sort_keys=True)
print("wrote", len(expected), "fixtures")
