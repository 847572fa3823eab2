# matte_ref.py — independent numpy references of the matte nodes' per-pixel math, for
# tests/test_matte_key.c and test_matte_composite.c: the exact sRGB curve (the nodes use a fitted
# one), BT.709 chroma, the FFmpeg-style chroma distance and despill, the difference key and the
# composite, computed in float64 over whole frames.
# usage: matte_ref.py chroma IN OUT W H key_r key_g key_b similarity blend despill mix bright
#        matte_ref.py diff IN PLATE OUT W H threshold softness luma
#        matte_ref.py composite FG BG MATTE OUT W H          (no light wrap, no blur)
# IN/PLATE/FG/BG/MATTE: H×W×4 float32 linear premultiplied; OUT: H×W×4 float32 (the
# premultiplied foreground or composite; chroma/diff: its alpha is the matte).
import sys

import numpy as np


def srgb(x):
    x = np.clip(x, 0.0, 1.0)
    return np.where(x <= 0.0031308, 12.92 * x, 1.055 * np.power(x, 1 / 2.4) - 0.055)


def straight(img):
    a = np.clip(img[..., 3], 0.0, 1.0)
    c = img[..., :3] / np.where(a > 0, a, 1.0)[..., None]
    return np.where(a[..., None] > 0, c, 0.0), a


def luma(code):
    return code @ np.array([0.2126, 0.7152, 0.0722])


def cbcr(code):
    y = luma(code)
    return (code[..., 2] - y) / 1.8556, (code[..., 0] - y) / 1.5748


def ramp(d, t, soft):
    return np.clip((d - t) / soft, 0.0, 1.0) if soft > 0 else (d > t).astype(np.float64)


def load(path, w, h):
    return np.fromfile(path, np.float32).reshape(h, w, 4).astype(np.float64)


def chroma(args):
    src, dst = args[0], args[1]
    w, h = int(args[2]), int(args[3])
    key = np.array([float(v) for v in args[4:7]])
    sim, blend, despill, mix, bright = (float(v) for v in args[7:12])
    c, a_in = straight(load(src, w, h))
    cb, cr = cbcr(srgb(c))
    kcb, kcr = cbcr(srgb(key))
    d = np.sqrt(((cb - kcb) ** 2 + (cr - kcr) ** 2) / 2.0)
    alpha = ramp(d, sim, blend) * a_in
    s = int(np.argmax(key))  # the screen channel; the others in RGB order
    o1, o2 = [i for i in range(3) if i != s]
    spill = np.maximum(c[..., s] - (mix * c[..., o1] + (1 - mix) * c[..., o2]), 0.0) * despill
    c = c.copy()
    c[..., s] -= spill
    c += (spill * bright)[..., None]
    out = np.concatenate([c * alpha[..., None], alpha[..., None]], axis=-1)
    out.astype(np.float32).tofile(dst)


def diff(args):
    src, plate, dst = args[0], args[1], args[2]
    w, h = int(args[3]), int(args[4])
    t, soft, use_luma = float(args[5]), float(args[6]), int(args[7])
    c, a_in = straight(load(src, w, h))
    p, _ = straight(load(plate, w, h))
    ci, pi = srgb(c), srgb(p)
    d = np.abs(luma(ci) - luma(pi)) if use_luma else np.abs(ci - pi).max(axis=-1)
    alpha = ramp(d, t, soft) * a_in
    out = np.concatenate([c * alpha[..., None], alpha[..., None]], axis=-1)
    out.astype(np.float32).tofile(dst)


def composite(args):
    fg_p, bg_p, m_p, dst = args[0], args[1], args[2], args[3]
    w, h = int(args[4]), int(args[5])
    fg, bg, m = load(fg_p, w, h), load(bg_p, w, h), load(m_p, w, h)[..., 3:4]
    f = fg * np.clip(m, 0.0, 1.0)
    out = f + bg * (1.0 - f[..., 3:4])
    out.astype(np.float32).tofile(dst)


if __name__ == "__main__":
    {"chroma": chroma, "diff": diff, "composite": composite}[sys.argv[1]](sys.argv[2:])
