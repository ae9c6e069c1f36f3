"""Derives the world-trade cell sample from ../shared/fixtures/complexity (ecomplexity 0.5.3's
full output is 8 MB gzipped; the tests need a sample of its cells).

Writes world_ecomplexity_cells_sample.csv: every 23rd cell of ecomplexity's output on the world
trade data (7,714 of 177,410 cells, zero-export cells included), with rca, mcp and density.
Run: python3 make_fixture.py /path/to/shared/fixtures/complexity
"""
import csv, gzip, sys

source = sys.argv[1] if len(sys.argv) > 1 else "../../../../shared/fixtures/complexity"
with gzip.open(f"{source}/ecomplexity_out/world_trade_ecomplexity_out.csv.gz", "rt") as f, \
        open("world_ecomplexity_cells_sample.csv", "w", newline="") as out:
    writer = csv.writer(out)
    writer.writerow(["country", "product", "value", "rca", "mcp", "density"])
    for index, row in enumerate(csv.DictReader(f)):
        if index % 23 == 0:
            writer.writerow([row["country"], row["product"], row["value"], row["rca"], row["mcp"], row["density"]])
