"""Independent count of the UNSD HS correlation tables by relationship label, with Python's csv
module: the golden for the hs-concordance workflow (Tests/Fixtures/workflows/hs-concordance.md).
Run from the repository root: python3 Tests/Fixtures/workflows/hs_concordance_expected.py"""
import csv

rows = ["| table | pairs | 1:1 | 1:n | n:1 | n:n | partial |", "|---|---:|---:|---:|---:|---:|---:|"]
for name in ["hs1996", "hs2002", "hs2012", "hs2017", "hs2022"]:
    with open(f"Workflows/data/hs/{name}_hs2007.csv", newline="") as f:
        records = list(csv.DictReader(f))
    count = lambda label: sum(1 for r in records if r["relationship"] == label)
    partial = sum(1 for r in records if r["partial"])
    rows.append(f"| {name.upper()} | {len(records)} | {count('1:1')} | {count('1:n')} | {count('n:1')} | {count('n:n')} | {partial} |")
print("\n".join(rows))
