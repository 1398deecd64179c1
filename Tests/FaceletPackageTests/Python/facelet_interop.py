#!/usr/bin/env python3
"""Interop helper for FaceletPackageTests: writes and reads Facelet packages with Python's
`safetensors`, following docs/format.md independently of the Swift code.

  facelet_interop.py write <path>   write a bank package; print its content digest as JSON
  facelet_interop.py dump <path>    print metadata, manifest and tensor values as JSON

Values are exactly representable: (i * 7 + seed * 3) % 17 - 8) / 4, as in Fixtures.swift.
"""
import hashlib
import json
import sys

import numpy as np
from safetensors import safe_open
from safetensors.numpy import load_file, save_file

BACKBONE = "sha256:" + hashlib.sha256(b"backbone").hexdigest()
CHANNELS = {"relu3_1": 4, "relu4_1": 8}
# One tensor per non-F32 dtype the reader converts (numpy has no bfloat16).
DTYPES = {"relu3_1.1.weight": np.float16, "relu4_1.2.bias": np.float64}


def values(count, seed):
    i = np.arange(count, dtype=np.int64)
    return (((i * 7 + seed * 3) % 17 - 8) / 4).astype(np.float32)


def bank_tensors():
    tensors = {}
    for seed, level in enumerate(sorted(CHANNELS)):
        c = CHANNELS[level]
        for k in range(3):
            tensors[f"{level}.{k}.weight"] = values(c * c * 9, seed + k).reshape(c, c, 3, 3)
            tensors[f"{level}.{k}.bias"] = values(c, seed + k + 5)
    return {name: t.astype(DTYPES.get(name, np.float32)) for name, t in tensors.items()}


def canonical_number(x):
    # docs/format.md: whole numbers up to 2**53 without ".0", others as the shortest round trip
    # (repr). Python writes 2**53 < |x| < 1e16 positionally where Swift uses an exponent; no test
    # manifest holds such numbers.
    if isinstance(x, float) and x.is_integer() and abs(x) <= 2**53:
        return int(x)
    return x


def canonical(obj):
    if isinstance(obj, dict):
        return {k: canonical(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [canonical(v) for v in obj]
    return canonical_number(obj)


def canonical_json(manifest):
    return json.dumps(canonical(manifest), sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False).encode("utf-8")


def content_digest(manifest, tensors):
    lines = ["facelet-content-v1",
             "manifest " + hashlib.sha256(canonical_json(manifest)).hexdigest()]
    for name in sorted(tensors, key=lambda n: n.encode("utf-8")):
        t = tensors[name]
        dtype = {"float32": "F32", "float16": "F16", "float64": "F64"}[t.dtype.name]
        dims = ",".join(str(d) for d in t.shape)
        sha = hashlib.sha256(np.ascontiguousarray(t).astype(t.dtype.newbyteorder("<"))
                             .tobytes()).hexdigest()
        lines.append(f"tensor {name} {dtype} {dims} {sha}")
    return "sha256:" + hashlib.sha256(("\n".join(lines) + "\n").encode("utf-8")).hexdigest()


def write(path):
    tensors = bank_tensors()
    manifest = {
        "kind": "bank", "name": "beard", "version": "2",
        # Escapes and non-ASCII that the canonical JSON must reproduce byte for byte.
        "description": "Adds a full beard / \"Vollbart\" \u00e9\u2028\x1f\t\n.",
        "backbone": BACKBONE, "levels": sorted(CHANNELS),
        "strength": {"default": 1.0, "min": -1.0, "max": 2.5},
        "bank": {"padding": ["reflect", "zero", "reflect"]},
        "provenance": {"method": "facelet", "k": "100", "source": "python/safetensors"},
        "tensors": {n: hashlib.sha256(t.tobytes()).hexdigest() for n, t in tensors.items()},
    }
    metadata = {"facelet.format": "1", "facelet.manifest": json.dumps(manifest, indent=1),
                "python.extra": "ignored by Facelet"}
    save_file(tensors, path, metadata=metadata)
    print(json.dumps({"content_digest": content_digest(manifest, tensors)}))


def dump(path):
    with safe_open(path, framework="numpy") as f:
        metadata = f.metadata()
    tensors = load_file(path)
    manifest = json.loads(metadata["facelet.manifest"])
    out = {
        "metadata_keys": sorted(metadata),
        "format": metadata["facelet.format"],
        "manifest": manifest,
        "content_digest": content_digest(manifest, tensors),
        "tensors": {n: {"dtype": t.dtype.name, "shape": list(t.shape),
                        "values": [float(v) for v in t.reshape(-1)]}
                    for n, t in tensors.items()},
    }
    print(json.dumps(out))


if __name__ == "__main__":
    command, path = sys.argv[1], sys.argv[2]
    {"write": write, "dump": dump}[command](path)
