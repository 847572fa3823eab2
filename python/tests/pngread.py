"""pngread.py — a small PNG decoder for the tests (8/16-bit RGBA or RGB, not interlaced): the
CLI's PNG files read back without an imaging library (none is installed here)."""

import struct
import zlib

import numpy as np


def read_png(path):
    with open(path, "rb") as f:
        data = f.read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path}: not a PNG"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    w, h, bits, color, _, _, interlace = header
    assert interlace == 0 and color in (2, 6) and bits in (8, 16), header
    chans = 4 if color == 6 else 3
    bpp = chans * bits // 8
    raw = np.frombuffer(zlib.decompress(idat), np.uint8).reshape(h, 1 + w * bpp)
    out = np.zeros((h, w * bpp), np.int32)
    for y in range(h):
        ftype, line = raw[y, 0], raw[y, 1:].astype(np.int32)
        prev = out[y - 1] if y else np.zeros(w * bpp, np.int32)
        cur = np.zeros(w * bpp, np.int32)
        for i in range(w * bpp):
            a = cur[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if ftype == 0:
                v = line[i]
            elif ftype == 1:
                v = line[i] + a
            elif ftype == 2:
                v = line[i] + b
            elif ftype == 3:
                v = line[i] + (a + b) // 2
            else:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                v = line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)
            cur[i] = v & 0xFF
        out[y] = cur
    px = out.astype(np.uint8).reshape(h, w, bpp)
    if bits == 16:
        px = px.reshape(h, w, chans, 2)
        return (px[..., 0].astype(np.uint16) << 8) | px[..., 1]
    return px.reshape(h, w, chans)
