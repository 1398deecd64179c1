#!/usr/bin/env python3
"""Writes the photo variants FaceletImagingTests decode, each with an independent reference.

Usage: make_variants.py FACES_DIR OUT_DIR

Needs numpy and Pillow (`pip install numpy pillow`). For every case OUT_DIR/manifest.json
lists the file, its upright size, a `kind` (the Swift test picks the tolerance from it) and a
reference: float32 little-endian samples, planar CHW (R, G, B planes, row-major), in [0, 1],
alpha already composited over white in sRGB space (value * a + (1 - a)).

PNG references are the exact sample values the file was written from (numpy arrays written
by the small chunk writer below, or by Pillow and checked against it); JPEG references are
Pillow's decode (Pillow bundles its own libjpeg-turbo), with ImageOps.exif_transpose applied.
"""
import json
import struct
import sys
import zlib
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

CASES = []


def save_reference(out, name, rgb):
    """rgb: float array HxWx3 in [0, 1]; stored planar CHW float32 little-endian."""
    chw = np.ascontiguousarray(np.transpose(rgb.astype(np.float64), (2, 0, 1)))
    (out / f"{name}.f32").write_bytes(chw.astype("<f4").tobytes())


def add(out, name, file_name, kind, rgb):
    save_reference(out, name, rgb)
    height, width = rgb.shape[:2]
    CASES.append({"name": name, "file": file_name, "kind": kind, "width": width,
                  "height": height, "reference": f"{name}.f32"})


def chunk(kind, payload):
    body = kind + payload
    return struct.pack(">I", len(payload)) + body + struct.pack(">I", zlib.crc32(body))


def pack_rows(samples, bit_depth):
    """samples: HxWxC unsigned ints; returns the filter-type-0 scanlines of one image."""
    height = samples.shape[0]
    rows = []
    for y in range(height):
        row = samples[y].reshape(-1)
        if bit_depth == 16:
            data = row.astype(">u2").tobytes()
        elif bit_depth == 8:
            data = row.astype(np.uint8).tobytes()
        else:
            per_byte = 8 // bit_depth
            padded = np.zeros(-(-len(row) // per_byte) * per_byte, dtype=np.uint16)
            padded[:len(row)] = row
            groups = padded.reshape(-1, per_byte)
            shifts = bit_depth * np.arange(per_byte - 1, -1, -1)
            data = (groups << shifts).sum(axis=1).astype(np.uint8).tobytes()
        rows.append(b"\x00" + data)
    return b"".join(rows)


def write_png(path, samples, color_type, bit_depth, palette=None, trns=None, interlace=False,
              extra=()):
    """A minimal PNG writer for the modes Pillow cannot write (16-bit colour, 1/2/4-bit,
    tRNS colour keys, Adam7). samples: HxWxC integers at `bit_depth`."""
    if samples.ndim == 2:
        samples = samples[:, :, None]
    height, width = samples.shape[:2]
    if interlace:
        passes = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4),
                  (1, 0, 2, 2), (0, 1, 1, 2)]
        raw = b"".join(pack_rows(samples[y0::dy, x0::dx], bit_depth)
                       for x0, y0, dx, dy in passes if samples[y0::dy, x0::dx].size)
    else:
        raw = pack_rows(samples, bit_depth)
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, int(interlace))
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
    if palette is not None:
        data += chunk(b"PLTE", np.asarray(palette, dtype=np.uint8).tobytes())
    if trns is not None:
        data += chunk(b"tRNS", trns)
    for kind, payload in extra:
        data += chunk(kind, payload)
    data += chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
    path.write_bytes(data)


def chunk_payload(path, kind):
    data = Path(path).read_bytes()
    offset = 8
    while offset + 8 <= len(data):
        length, = struct.unpack(">I", data[offset:offset + 4])
        if data[offset + 4:offset + 8] == kind:
            return data[offset + 8:offset + 8 + length]
        offset += 12 + length
    raise ValueError(f"no {kind} chunk in {path}")


def over_white(colour, alpha):
    return colour * alpha[..., None] + (1.0 - alpha[..., None])


def png_cases(out, photo_path):
    photo = Image.open(photo_path)
    rng = np.random.default_rng(20180618)
    rgb8 = np.asarray(photo.resize((61, 45), Image.Resampling.BOX).convert("RGB"))
    height, width = rgb8.shape[:2]
    ramp = (np.add.outer(np.arange(height) * 5, np.arange(width) * 4) % 256).astype(np.uint8)
    gray8 = np.asarray(Image.fromarray(rgb8).convert("L"))

    Image.fromarray(rgb8).save(out / "rgb8.png")
    add(out, "rgb8", "rgb8.png", "png8", rgb8 / 255.0)

    write_png(out / "rgb8_interlaced.png", rgb8, 2, 8, interlace=True)
    add(out, "rgb8_interlaced", "rgb8_interlaced.png", "png8", rgb8 / 255.0)

    rgba8 = np.dstack([rgb8, ramp])
    Image.fromarray(rgba8, "RGBA").save(out / "rgba8.png")
    add(out, "rgba8", "rgba8.png", "png8", over_white(rgb8 / 255.0, ramp / 255.0))

    Image.fromarray(gray8, "L").save(out / "gray8.png")
    add(out, "gray8", "gray8.png", "png8", np.repeat(gray8[..., None] / 255.0, 3, axis=2))

    Image.fromarray(np.dstack([gray8, ramp]), "LA").save(out / "graya8.png")
    add(out, "graya8", "graya8.png", "png8",
        over_white(np.repeat(gray8[..., None] / 255.0, 3, axis=2), ramp / 255.0))

    # Pillow's quantize gives an 8-bit palette image; the reference is the palette lookup.
    quantized = Image.fromarray(rgb8).quantize(colors=64, method=Image.Quantize.MEDIANCUT)
    quantized.save(out / "palette8.png")
    indices = np.asarray(quantized)
    palette = np.asarray(quantized.getpalette()[:3 * 256], dtype=np.float64).reshape(-1, 3)
    add(out, "palette8", "palette8.png", "png8", palette[indices] / 255.0)

    palette16 = rng.integers(0, 256, size=(16, 3))
    alphas16 = np.array([0, 40, 128, 255, 200, 7, 255, 90], dtype=np.uint8)
    indices4 = (ramp // 16).astype(np.uint8)
    write_png(out / "palette4_trns.png", indices4, 3, 4, palette=palette16,
              trns=alphas16.tobytes())
    alpha_full = np.concatenate([alphas16, np.full(8, 255, np.uint8)]) / 255.0
    add(out, "palette4_trns", "palette4_trns.png", "png8",
        over_white(palette16[indices4] / 255.0, alpha_full[indices4]))

    bits1 = (gray8 > 110).astype(np.uint8)
    write_png(out / "gray1.png", bits1, 0, 1)
    add(out, "gray1", "gray1.png", "png8", np.repeat(bits1[..., None].astype(float), 3, 2))

    bits2 = (gray8 // 64).astype(np.uint8)
    write_png(out / "gray2.png", bits2, 0, 2)
    add(out, "gray2", "gray2.png", "png8", np.repeat(bits2[..., None] / 3.0, 3, axis=2))

    # A tRNS colour key: exactly the pixels equal to it are transparent.
    key = int(gray8[10, 10])
    write_png(out / "gray8_key.png", gray8, 0, 8, trns=struct.pack(">H", key))
    keyed = np.where(gray8 == key, 0.0, 1.0)
    add(out, "gray8_key", "gray8_key.png", "png8",
        over_white(np.repeat(gray8[..., None] / 255.0, 3, axis=2), keyed))

    # 16-bit samples with a non-trivial low byte, so the 16 -> 8 bit reduction is exercised.
    noise = rng.integers(-128, 128, size=rgb8.shape)
    rgb16 = np.clip(rgb8.astype(np.int64) * 257 + noise, 0, 65535).astype(np.uint16)
    write_png(out / "rgb16.png", rgb16, 2, 16)
    add(out, "rgb16", "rgb16.png", "png16", rgb16 / 65535.0)

    # An sRGB chunk makes libpng convert through linear light; the values must survive.
    write_png(out / "rgb16_srgb.png", rgb16, 2, 16, extra=[(b"sRGB", b"\x00")])
    add(out, "rgb16_srgb", "rgb16_srgb.png", "png16srgb", rgb16 / 65535.0)

    # The astronaut's iCCP chunk (the common 3144-byte "sRGB IEC61966-2.1" profile), which
    # libpng recognises as sRGB: it converts through linear light as for an sRGB chunk.
    iccp = chunk_payload(photo_path, b"iCCP")
    write_png(out / "rgb16_iccp.png", rgb16, 2, 16, extra=[(b"iCCP", iccp)])
    add(out, "rgb16_iccp", "rgb16_iccp.png", "png16srgb", rgb16 / 65535.0)

    gray16 = np.clip(gray8.astype(np.int64) * 257 + noise[..., 0], 0, 65535).astype(np.uint16)
    write_png(out / "gray16.png", gray16, 0, 16)
    add(out, "gray16", "gray16.png", "png16", np.repeat(gray16[..., None] / 65535.0, 3, 2))

    alpha16 = (ramp.astype(np.uint16) * 257).astype(np.uint16)
    write_png(out / "rgba16.png", np.dstack([rgb16, alpha16]), 6, 16)
    add(out, "rgba16", "rgba16.png", "png16alpha", over_white(rgb16 / 65535.0, alpha16 / 65535.0))

    write_png(out / "graya16.png", np.dstack([gray16, alpha16]), 4, 16)
    add(out, "graya16", "graya16.png", "png16alpha",
        over_white(np.repeat(gray16[..., None] / 65535.0, 3, 2), alpha16 / 65535.0))

    Image.fromarray(rgb8[:1, :1]).save(out / "single_pixel.png")
    add(out, "single_pixel_png", "single_pixel.png", "png8", rgb8[:1, :1] / 255.0)

    # Sanity check of the writer above against Pillow where Pillow reads the mode soundly.
    for name in ["rgb8_interlaced", "gray1", "gray2"]:
        decoded = np.asarray(Image.open(out / f"{name}.png").convert("RGB")) / 255.0
        reference = np.fromfile(out / f"{name}.f32", "<f4").reshape(3, height, width)
        assert np.allclose(decoded, np.transpose(reference, (1, 2, 0)), atol=1e-6), name


def pillow_rgb(path, transpose=False):
    image = Image.open(path)
    if transpose:
        image = ImageOps.exif_transpose(image)
    return np.asarray(image.convert("RGB")) / 255.0


def exif_app1(orientation, big_endian):
    """An APP1 segment holding a one-entry IFD0 with the orientation tag."""
    order = ">" if big_endian else "<"
    tiff = (b"MM" if big_endian else b"II") + struct.pack(order + "HI", 42, 8)
    tiff += struct.pack(order + "H", 1)
    tiff += struct.pack(order + "HHI", 0x0112, 3, 1) + struct.pack(order + "HH", orientation, 0)
    tiff += struct.pack(order + "I", 0)
    payload = b"Exif\x00\x00" + tiff
    return b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload


def jpeg_cases(out, photo):
    small = photo.resize((67, 53), Image.Resampling.BOX).convert("RGB")
    variants = {
        "jpeg_420": dict(quality=90, subsampling=2),
        "jpeg_422": dict(quality=85, subsampling=1),
        "jpeg_444": dict(quality=95, subsampling=0),
        "jpeg_progressive": dict(quality=90, subsampling=2, progressive=True),
    }
    for name, options in variants.items():
        small.save(out / f"{name}.jpg", **options)
        add(out, name, f"{name}.jpg", "jpeg", pillow_rgb(out / f"{name}.jpg"))

    small.convert("L").save(out / "jpeg_gray.jpg", quality=90)
    add(out, "jpeg_gray", "jpeg_gray.jpg", "jpeg", pillow_rgb(out / "jpeg_gray.jpg"))

    small.convert("CMYK").save(out / "jpeg_cmyk.jpg", quality=95)
    add(out, "jpeg_cmyk", "jpeg_cmyk.jpg", "jpeg", pillow_rgb(out / "jpeg_cmyk.jpg"))

    small.crop((0, 0, 1, 1)).save(out / "jpeg_single_pixel.jpg", quality=95)
    add(out, "jpeg_single_pixel", "jpeg_single_pixel.jpg", "jpeg",
        pillow_rgb(out / "jpeg_single_pixel.jpg"))

    for orientation in range(1, 9):
        name = f"jpeg_orientation_{orientation}"
        exif = Image.Exif()
        exif[0x0112] = orientation
        small.save(out / f"{name}.jpg", quality=95, subsampling=0, exif=exif.tobytes())
        add(out, name, f"{name}.jpg", "jpeg", pillow_rgb(out / f"{name}.jpg", transpose=True))

    # A hand-made big-endian ("MM") Exif segment, spliced in after SOI.
    plain = (out / "jpeg_444.jpg").read_bytes()
    for orientation in (3, 6):
        name = f"jpeg_orientation_{orientation}_motorola"
        (out / f"{name}.jpg").write_bytes(plain[:2] + exif_app1(orientation, True) + plain[2:])
        add(out, name, f"{name}.jpg", "jpeg", pillow_rgb(out / f"{name}.jpg", transpose=True))


def crafted_cases(out, faces):
    """A PNG whose valid IHDR (correct CRC) declares 100000 x 100000 pixels."""
    real = (faces / "nasa_eileen_collins_astronaut.png").read_bytes()
    ihdr = bytearray(real[16:29])
    ihdr[0:8] = struct.pack(">II", 100_000, 100_000)
    tail = real[33:]
    (out / "huge.png").write_bytes(real[:8] + chunk(b"IHDR", bytes(ihdr)) + tail)


def main():
    faces, out = Path(sys.argv[1]), Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    png_cases(out, faces / "nasa_eileen_collins_astronaut.png")
    jpeg_cases(out, Image.open(faces / "usnavy_grace_hopper.jpg"))
    crafted_cases(out, faces)
    for real, kind in [("nasa_eileen_collins_astronaut.png", "png8"),
                       ("usnavy_grace_hopper.jpg", "jpeg")]:
        name = real.rsplit(".", 1)[0]
        add(out, name, str(faces / real), kind, pillow_rgb(faces / real, transpose=True))
    (out / "manifest.json").write_text(json.dumps(CASES, indent=1))


if __name__ == "__main__":
    main()
