#!/usr/bin/env python3
"""Independent numpy reference of the Facelet forward pass, for FaceletModelTests.

Usage: reference_forward.py WORKDIR

WORKDIR holds
  backbone.fbb   a backbone package (safetensors with a facelet manifest)
  bank.fbk       a bank package bound to it (optional)
  job.json       {"height": H, "width": W, "strength": s, "levels": [..] or null}
  input.f32      the photo, float32 little-endian, planar RGB [3, H, W] in [0, 1]

and receives float32 files (row-major) plus outputs.json listing their shapes:
  padded.f32          the padded input [1, 3, Hp, Wp] in [0, 1]
  psi.<level>.f32     the encoder's features
  delta.<level>.f32   the bank's feature change (all bank levels)
  heat.<level>.f32    sum over channels of delta squared [1, 1, h, w]
  decoded.f32         D(psi + s * delta on the chosen levels), normalised space
  decoded0.f32        D(psi), normalised space
  edit.f32            the final edited photo [3, H, W], clamped to [0, 1]
  reconstruction.f32  the lambda = 0 photo [3, H, W]

Everything here is written from docs/architecture.md and docs/format.md alone, in float64,
with its own safetensors parser, im2col convolution, padding and upsampling.
"""
import json
import math
import struct
import sys
from pathlib import Path

import numpy as np

EPS = 1e-5  # batch normalisation epsilon (PyTorch's default)


def read_package(path):
    raw = Path(path).read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    data = raw[8 + n:]
    meta = header.pop("__metadata__", {})
    manifest = json.loads(meta["facelet.manifest"])
    tensors = {}
    for name, entry in header.items():
        assert entry["dtype"] == "F32", entry
        begin, end = entry["data_offsets"]
        values = np.frombuffer(data[begin:end], dtype="<f4").astype(np.float64)
        tensors[name] = values.reshape(entry["shape"])
    return manifest, tensors


def pad2d(x, top, left, bottom, right, mode):
    widths = ((0, 0), (0, 0), (top, bottom), (left, right))
    if mode == "zero":
        return np.pad(x, widths, mode="constant")
    if mode == "reflect":
        return np.pad(x, widths, mode="reflect")
    if mode == "replicate":
        return np.pad(x, widths, mode="edge")
    raise ValueError(mode)


def conv(x, weight, bias, padding):
    """Stride-1 'same' convolution by explicit im2col and einsum."""
    k = weight.shape[2]
    r = k // 2
    n, c, h, w = x.shape
    if padding == "reflect" and min(h, w) <= r:
        padding = "replicate"  # reflection degenerates to the edge on a 1-pixel map
    xp = pad2d(x, r, r, r, r, padding)
    cols = np.empty((n, c, k, k, h, w))
    for dy in range(k):
        for dx in range(k):
            cols[:, :, dy, dx] = xp[:, :, dy:dy + h, dx:dx + w]
    return np.einsum("ncijhw,ocij->nohw", cols, weight) + bias[None, :, None, None]


def batchnorm(y, tensors, name, kind):
    gamma = tensors[name + ".bn.weight"][None, :, None, None]
    beta = tensors[name + ".bn.bias"][None, :, None, None]
    if kind == "running":
        mean = tensors[name + ".bn.running_mean"][None, :, None, None]
        var = tensors[name + ".bn.running_var"][None, :, None, None]
    elif kind == "instance":
        mean = y.mean(axis=(2, 3), keepdims=True)
        var = ((y - mean) ** 2).mean(axis=(2, 3), keepdims=True)
    else:
        raise ValueError(kind)
    return (y - mean) / np.sqrt(var + EPS) * gamma + beta


def conv_op(x, op, tensors):
    name = op["name"]
    y = conv(x, tensors[name + ".weight"], tensors[name + ".bias"], op["padding"])
    if op.get("batchnorm"):
        y = batchnorm(y, tensors, name, op["batchnorm"])
    if op["activation"] == "relu":
        y = np.maximum(y, 0)
    return y


def maxpool(x):
    n, c, h, w = x.shape
    h2, w2 = h // 2, w // 2
    x = x[:, :, :2 * h2, :2 * w2].reshape(n, c, h2, 2, w2, 2)
    return x.max(axis=(3, 5))


def upsample(x, mode):
    if mode == "nearest":
        return x.repeat(2, axis=2).repeat(2, axis=3)
    n, c, h, w = x.shape

    def weights(size):
        out = 2 * size
        m = np.zeros((out, size))
        for o in range(out):
            s = 0.0 if size == 1 else o * (size - 1) / (out - 1)
            i0 = min(int(math.floor(s)), size - 1)
            i1 = min(i0 + 1, size - 1)
            f = s - i0
            m[o, i0] += 1 - f
            m[o, i1] += f
        return m

    my, mx = weights(h), weights(w)
    return np.einsum("yh,nchw,xw->ncyx", my, x, mx)


def normalise(x, arch):
    mean = np.array(arch["input"]["mean"])[None, :, None, None]
    std = np.array(arch["input"]["std"])[None, :, None, None]
    return (x - mean) / std


def encode(x, arch, tensors):
    h = normalise(x, arch)
    levels = {}
    for op in arch["encoder"]:
        kind = op["op"]
        if kind == "conv":
            h = conv_op(h, op, tensors)
        elif kind == "maxpool":
            h = maxpool(h)
        elif kind == "tap":
            levels[op["level"]] = h
        else:
            raise ValueError(kind)
    return levels


def decode(levels, arch, tensors):
    h = None
    for op in arch["decoder"]:
        kind = op["op"]
        if kind == "input":
            h = levels[op["level"]]
        elif kind == "conv":
            h = conv_op(h, op, tensors)
        elif kind == "upsample":
            h = upsample(h, op["mode"])
        elif kind == "merge":
            other = levels[op["level"]]
            h = np.concatenate([h, other], axis=1) if op["mode"] == "concat" else h + other
        else:
            raise ValueError(kind)
    return h


def bank_delta(levels, bank_manifest, tensors):
    pads = bank_manifest["bank"]["padding"]
    out = {}
    for level in bank_manifest["levels"]:
        h = levels[level]
        for i in range(3):
            h = conv(h, tensors[f"{level}.{i}.weight"], tensors[f"{level}.{i}.bias"], pads[i])
            if i < 2:
                h = np.maximum(h, 0)
        out[level] = h
    return out


def pad_photo(photo, arch):
    """Pads [1, 3, H, W] up to pad_multiple, split top/bottom and left/right with the extra
    pixel at the bottom/right; reflect falls back to replicate when a side needs more padding
    than the photo has pixels minus one."""
    m = arch["input"]["pad_multiple"]
    mode = arch["input"]["pad_mode"]
    _, _, h, w = photo.shape
    ph, pw = -(-h // m) * m - h, -(-w // m) * m - w
    top, left = ph // 2, pw // 2
    bottom, right = ph - top, pw - left
    if mode == "mean":
        # As the original release does: normalise, zero-pad the normalised image, and (for the
        # rest of this pipeline, which works in pixel space) map it back.
        padded = pad2d(normalise(photo, arch), top, left, bottom, right, "zero")
        mean = np.array(arch["input"]["mean"])[None, :, None, None]
        std = np.array(arch["input"]["std"])[None, :, None, None]
        return padded * std + mean, (top, left)
    if mode == "reflect" and (bottom > h - 1 or right > w - 1):
        mode = "replicate"
    return pad2d(photo, top, left, bottom, right, mode), (top, left)


def finish(decoded, decoded0, xpad, arch, origin, size):
    mean = np.array(arch["input"]["mean"])[None, :, None, None]
    std = np.array(arch["input"]["std"])[None, :, None, None]
    output = arch["output"]
    if output == "image":
        img = decoded * std + mean
    elif output == "add-input":
        img = (normalise(xpad, arch) + decoded) * std + mean
    elif output == "difference":
        img = xpad + (decoded - decoded0) * std
    else:
        raise ValueError(output)
    top, left = origin
    h, w = size
    return np.clip(img[0, :, top:top + h, left:left + w], 0, 1)


def main():
    work = Path(sys.argv[1])
    job = json.loads((work / "job.json").read_text())
    h, w = job["height"], job["width"]
    photo = np.fromfile(work / "input.f32", dtype="<f4").astype(np.float64).reshape(1, 3, h, w)
    manifest, tensors = read_package(work / "backbone.fbb")
    arch = manifest["architecture"]

    outputs = {}

    def save(name, array):
        np.asarray(array, dtype="<f4").tofile(work / (name + ".f32"))
        outputs[name] = list(array.shape)

    xpad, origin = pad_photo(photo, arch)
    save("padded", xpad)
    psi = encode(xpad, arch, tensors)
    for level, value in psi.items():
        save("psi." + level, value)
    decoded0 = decode(psi, arch, tensors)
    save("decoded0", decoded0)
    save("reconstruction", finish(decoded0, decoded0, xpad, arch, origin, (h, w)))

    if (work / "bank.fbk").exists():
        bank_manifest, bank_tensors = read_package(work / "bank.fbk")
        delta = bank_delta(psi, bank_manifest, bank_tensors)
        for level, value in delta.items():
            save("delta." + level, value)
            save("heat." + level, (value ** 2).sum(axis=1, keepdims=True))
        chosen = job.get("levels") or list(delta)
        edited = dict(psi)
        for level in chosen:
            edited[level] = psi[level] + job["strength"] * delta[level]
        decoded = decode(edited, arch, tensors)
        save("decoded", decoded)
        save("edit", finish(decoded, decoded0, xpad, arch, origin, (h, w)))

    (work / "outputs.json").write_text(json.dumps(outputs, indent=1))


if __name__ == "__main__":
    main()
