"""Independent re-implementation of Paperflow's canonical key encoding (see
Sources/PaperflowCore/Graph/CanonicalEncoding.swift and KeyIngredients.swift), used to derive the
golden key in Tests/PaperflowCoreTests/LoadingTests.swift. Run: python3 canonical_key.py"""
import hashlib
import struct


def S(s): b = s.encode(); return b"S%d:" % len(b) + b
def I(n): return b"I%d;" % n
def D(d): return b"D" + format(struct.unpack("<Q", struct.pack("<d", d))[0], "x").encode() + b";"


def V(v):
    if v is None: return b"N;"
    if v is True: return b"T;"
    if v is False: return b"F;"
    if isinstance(v, int): return I(v)
    if isinstance(v, float): return D(v)
    if isinstance(v, str): return S(v)
    if isinstance(v, list): return b"L%d:" % len(v) + b"".join(V(x) for x in v)
    return M(v, V)


def M(m, enc): return b"M%d:" % len(m) + b"".join(S(k) + enc(m[k]) for k in sorted(m, key=lambda k: k.encode()))


params = {"formula": "y ~ x | fe", "margins": "average", "seed": 7, "alpha": 0.05,
          "flags": [True, None], "vcov": {"cluster": "firm"}}
inputs = {"data": ["sha256:" + "ab" * 32]}
files = {"data/in.csv": "sha256:" + "01" * 32}
encoded = (S("paperflow-stage-key") + I(1) + S("models.probit") + I(1) + S("builtin")
           + M(params, V) + M(inputs, V) + M(files, S))
print("sha256:" + hashlib.sha256(encoded).hexdigest())
