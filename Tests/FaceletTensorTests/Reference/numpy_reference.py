#!/usr/bin/env python3
"""Independent numpy reference for FaceletTensor's cross-check test.

Usage:
  numpy_reference.py conv2d DIR N CIN COUT H W K PADDING
      reads DIR/x.f32 [N,CIN,H,W], DIR/w.f32 [COUT,CIN,K,K], DIR/b.f32 [COUT];
      writes DIR/out.f32 [N,COUT,H,W]. PADDING: zero | reflect | replicate.
  numpy_reference.py upsample-bilinear DIR N C H W
      reads DIR/x.f32 [N,C,H,W]; writes DIR/out.f32 [N,C,2H,2W] (align_corners=True).
All files are raw little-endian float32, row-major. Computation is in float64.
"""
import sys

import numpy as np


def read(path, shape):
    return np.fromfile(path, dtype="<f4").astype(np.float64).reshape(shape)


def write(path, array):
    np.ascontiguousarray(array, dtype="<f4").tofile(path)


def conv2d(x, w, b, padding):
    k = w.shape[2]
    p = k // 2
    mode = {"zero": "constant", "reflect": "reflect", "replicate": "edge"}[padding]
    padded = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)), mode=mode)
    n, _, h, wd = x.shape
    out = np.zeros((n, w.shape[0], h, wd))
    for ky in range(k):
        for kx in range(k):
            window = padded[:, :, ky:ky + h, kx:kx + wd]
            out += np.einsum("oc,nchw->nohw", w[:, :, ky, kx], window)
    return out + b[None, :, None, None]


def bilinear_matrix(size_in, size_out):
    """Rows: output positions; columns: input positions (align_corners=True)."""
    matrix = np.zeros((size_out, size_in))
    positions = np.linspace(0, size_in - 1, size_out) if size_out > 1 else np.zeros(1)
    for o, position in enumerate(positions):
        lower = min(int(np.floor(position)), size_in - 1)
        upper = min(lower + 1, size_in - 1)
        fraction = position - lower
        matrix[o, lower] += 1 - fraction
        matrix[o, upper] += fraction
    return matrix


def main(argv):
    command, directory = argv[1], argv[2]
    numbers = [int(v) for v in argv[3:] if v.lstrip("-").isdigit()]
    if command == "conv2d":
        n, cin, cout, h, w, k = numbers
        x = read(f"{directory}/x.f32", (n, cin, h, w))
        weight = read(f"{directory}/w.f32", (cout, cin, k, k))
        bias = read(f"{directory}/b.f32", (cout,))
        write(f"{directory}/out.f32", conv2d(x, weight, bias, argv[-1]))
    elif command == "upsample-bilinear":
        n, c, h, w = numbers
        x = read(f"{directory}/x.f32", (n, c, h, w))
        rows, columns = bilinear_matrix(h, 2 * h), bilinear_matrix(w, 2 * w)
        write(f"{directory}/out.f32", np.einsum("yh,nchw,xw->ncyx", rows, x, columns))
    else:
        sys.exit(f"unknown command {command}")


if __name__ == "__main__":
    main(sys.argv)
