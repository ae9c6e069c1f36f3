"""Joins each province's R&D expenditure with its government science budget (two CSV files
that Paperflow wrote) and writes the share of R&D the science budget could pay for, as a CSV
that the shell stage declares a table. Standard library only.

    python3 science_share.py RD.csv SCIENCE.csv OUT.csv
"""
import csv
import sys

rd_path, science_path, out_path = sys.argv[1:4]
with open(rd_path, newline="", encoding="utf-8") as f:
    spending = {row["province_zh"]: float(row["rd_spending"]) for row in csv.DictReader(f)}
with open(science_path, newline="", encoding="utf-8") as f:
    budget = {row["province_zh"]: float(row["science_budget"]) for row in csv.DictReader(f)}

with open(out_path, "w", newline="", encoding="utf-8") as f:
    out = csv.writer(f)
    out.writerow(["province_zh", "rd_spending", "science_budget", "public_share"])
    for province in sorted(spending):
        if province in budget:
            out.writerow([province, spending[province], budget[province], round(100 * budget[province] / spending[province], 6)])
