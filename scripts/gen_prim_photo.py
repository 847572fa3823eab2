#!/usr/bin/python3
"""gen_prim_photo.py — makes pipelines/data/prim_photo.png, the photo-like test picture the
primitives node's quality test, benchmark and showcase redraw: a 256x256 landscape at dusk (sky
gradient, sun and glow, fBm clouds, two mountain ridges, a lake with a rippled reflection, a shore
and a tree, film grain), generated deterministically (numpy's seeded generator, no downloads).
Run: /usr/bin/python3 scripts/gen_prim_photo.py [OUT.png]"""
import struct
import sys
import zlib

import numpy as np

N = 256
rng = np.random.RandomState(20240607)


def value_noise(shape, cells):
    """smooth value noise: a random grid upsampled with a smoothstep bilinear blend"""
    g = rng.rand(cells + 1, cells + 1)
    y = np.linspace(0, cells, shape[0], endpoint=False)
    x = np.linspace(0, cells, shape[1], endpoint=False)
    yi, xi = np.floor(y).astype(int), np.floor(x).astype(int)
    fy, fx = y - yi, x - xi
    fy, fx = fy * fy * (3 - 2 * fy), fx * fx * (3 - 2 * fx)
    a = g[yi][:, xi]
    b = g[yi][:, xi + 1]
    c = g[yi + 1][:, xi]
    d = g[yi + 1][:, xi + 1]
    top = a + (b - a) * fx[None, :]
    bot = c + (d - c) * fx[None, :]
    return top + (bot - top) * fy[:, None]


def fbm(shape, octaves=5, base=4):
    out, amp, tot = np.zeros(shape), 1.0, 0.0
    for o in range(octaves):
        out += amp * value_noise(shape, base * 2 ** o)
        tot += amp
        amp *= 0.5
    return out / tot


def ridge(base, octaves=6):
    r = np.zeros(N)
    amp = 1.0
    for o in range(octaves):
        cells = base * 2 ** o
        g = rng.rand(cells + 1)
        x = np.linspace(0, cells, N, endpoint=False)
        xi = np.floor(x).astype(int)
        f = x - xi
        f = f * f * (3 - 2 * f)
        r += amp * (g[xi] + (g[xi + 1] - g[xi]) * f)
        amp *= 0.5
    return r / 2.0


yy, xx = np.mgrid[0:N, 0:N].astype(float) / N
img = np.zeros((N, N, 3))
horizon = 0.62

# sky: deep blue overhead to orange at the horizon
t = np.clip(yy / horizon, 0, 1)[..., None]
top, mid, low = np.array([0.10, 0.16, 0.38]), np.array([0.55, 0.38, 0.55]), np.array([1.0, 0.62, 0.30])
sky = np.where(t < 0.6, top + (mid - top) * (t / 0.6), mid + (low - mid) * ((t - 0.6) / 0.4))
# sun and its glow
d = np.sqrt((xx - 0.68) ** 2 + ((yy - 0.47) * 1.0) ** 2)
sky = sky + np.array([1.0, 0.75, 0.45]) * (0.55 * np.exp(-(d / 0.12) ** 2))[..., None]
sun = np.clip((0.045 - d) / 0.006, 0, 1)[..., None]
sky = sky * (1 - sun) + np.array([1.0, 0.95, 0.8]) * sun
# clouds
c = fbm((N, N), 5, 3)
cl = np.clip((c - 0.5) * 3.0, 0, 1) * np.clip(1 - yy / 0.5, 0, 1)
cloud_col = np.array([0.95, 0.72, 0.70]) * (0.6 + 0.4 * (1 - yy))[..., None]
sky = sky * (1 - 0.7 * cl[..., None]) + cloud_col * (0.7 * cl[..., None])
img[:] = sky

# mountains: a far bluish ridge and a near dark ridge, shaded with noise
shade = fbm((N, N), 4, 6)
far = horizon - 0.05 - 0.22 * ridge(3)
near = horizon - 0.01 - 0.14 * ridge(5)
m_far = yy > far[None, :]
m_near = yy > near[None, :]
far_col = np.array([0.42, 0.36, 0.55]) * (0.85 + 0.3 * shade)[..., None]
near_col = np.array([0.20, 0.17, 0.26]) * (0.7 + 0.6 * shade)[..., None]
img = np.where(m_far[..., None], far_col, img)
img = np.where(m_near[..., None], near_col, img)

# lake: the scene above mirrored, darker, rippled
lake = yy > horizon
src_y = np.clip(2 * horizon - yy + 0.004 * np.sin(xx * 90 + yy * 40), 0, horizon - 1e-3)
ripple = 0.02 * (fbm((N, N), 3, 16) - 0.5)
sx = np.clip(((xx + ripple) * N).astype(int), 0, N - 1)
sy = np.clip((src_y * N).astype(int), 0, N - 1)
refl = img[sy, sx] * np.array([0.55, 0.6, 0.72]) + np.array([0.02, 0.04, 0.08])
img = np.where(lake[..., None], refl, img)

# shore and grass in the foreground
shore = 0.86 + 0.05 * (ridge(4) - 0.5)
m_shore = yy > shore[None, :]
grass = fbm((N, N), 5, 24)
grass_col = np.array([0.16, 0.22, 0.08]) * (0.6 + 0.8 * grass)[..., None]
img = np.where(m_shore[..., None], grass_col, img)

# a tree on the left: trunk and a canopy of blobs
trunk = (np.abs(xx - 0.2) < 0.012) & (yy > 0.5) & (yy < 0.9)
img = np.where(trunk[..., None], np.array([0.12, 0.08, 0.06]), img)
canopy = np.zeros((N, N), bool)
for cx, cy, r in [(0.2, 0.45, 0.09), (0.14, 0.52, 0.07), (0.27, 0.52, 0.07), (0.2, 0.36, 0.07),
                  (0.12, 0.42, 0.05), (0.28, 0.42, 0.05)]:
    canopy |= (xx - cx) ** 2 + (yy - cy) ** 2 < r * r
leaf = fbm((N, N), 4, 20)
img = np.where(canopy[..., None], np.array([0.10, 0.18, 0.09]) * (0.5 + leaf)[..., None], img)

# film grain, then 8-bit
img = img + rng.normal(0, 0.006, img.shape)
out = (np.clip(img, 0, 1) * 255 + 0.5).astype(np.uint8)


def write_png(path, rgb):
    h, w, _ = rgb.shape
    raw = b"".join(b"\x00" + rgb[y].tobytes() for y in range(h))

    def chunk(tag, data):
        c = tag + data
        return struct.pack(">I", len(data)) + c + struct.pack(">I", zlib.crc32(c) & 0xFFFFFFFF)

    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
    with open(path, "wb") as f:
        f.write(png)


write_png(sys.argv[1] if len(sys.argv) > 1 else "pipelines/data/prim_photo.png", out)
