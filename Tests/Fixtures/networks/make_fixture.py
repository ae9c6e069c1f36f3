"""The network fixture and its networkx reference.

Run with the benchmark venv (networkx 3.6): Benchmarks/models/.venv/bin/python make_fixture.py
Writes
- branches.csv: branch-office records (hq city, branch city, employees) — 24 places, a planted hub
  (Nanjing), duplicate pairs (aggregated by networks.build) and self-loops (dropped by default);
- places.csv: all 25 places, one (Suqian) with no link at all;
- centrality_networkx.json: per place, in/out degree and strength, betweenness (normalised, by
  hop count and with distance = 1/weight) and eigenvector centrality (in-edges, weighted,
  eigenvector_centrality, tol 1e-14), on the aggregated directed graph without self-loops.
"""
import csv, json, random
import networkx as nx

random.seed(20250101)
cities = ["Nanjing", "Wuxi", "Xuzhou", "Changzhou", "Suzhou", "Nantong", "Lianyungang", "Huai'an", "Yancheng",
          "Yangzhou", "Zhenjiang", "Taizhou", "Suqian"]
districts = [f"D{i:02d}" for i in range(1, 13)]
linked = cities[:-1] + districts          # Suqian stays isolated
records = []
# A cycle makes the linked places strongly connected; random edges and a hub on top.
for a, b in zip(linked, linked[1:] + linked[:1]):
    records.append((a, b, random.randint(1, 9)))
for _ in range(40):
    a, b = random.sample(linked, 2)
    records.append((a, b, random.randint(1, 9)))
for b in random.sample(linked[1:], 10):
    records.append(("Nanjing", b, random.randint(5, 20)))
for a in random.sample(linked, 3):
    records.append((a, a, 4))                # a branch in the firm's own city
with open("branches.csv", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["hq_city", "branch_city", "employees"])
    w.writerows(records)
with open("places.csv", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["place", "tier"])
    w.writerows([(c, "city") for c in cities] + [(d, "district") for d in districts])

G = nx.DiGraph()
G.add_nodes_from(cities + districts)
for a, b, weight in records:
    if a == b:
        continue
    if G.has_edge(a, b):
        G[a][b]["weight"] += weight
    else:
        G.add_edge(a, b, weight=weight)
for a, b, d in G.edges(data=True):
    d["distance"] = 1.0 / d["weight"]
between = nx.betweenness_centrality(G, normalized=True)
between_w = nx.betweenness_centrality(G, normalized=True, weight="distance")
# networkx iterates x <- (A^T + I) x, normalised; the numpy variant refuses a graph with an isolate.
eigen = nx.eigenvector_centrality(G, weight="weight", max_iter=100000, tol=1e-14)
out = {}
for v in G.nodes:
    out[v] = {"in_degree": G.in_degree(v), "out_degree": G.out_degree(v),
              "in_strength": G.in_degree(v, weight="weight"), "out_strength": G.out_degree(v, weight="weight"),
              "betweenness": between[v], "betweenness_weighted": between_w[v], "eigenvector": abs(eigen[v])}
json.dump({"networkx": nx.__version__, "edges": G.number_of_edges(), "nodes": out},
          open("centrality_networkx.json", "w"), indent=1, sort_keys=True)
