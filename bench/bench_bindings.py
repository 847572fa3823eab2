#!/usr/bin/env python3
"""bench_bindings.py — what the Python package and the ComfyUI pack add per frame over the C CLI
on the same pipeline (a video frame, 200 tracked points, KNN links, dots, a 3-layer merge), at
1080p and 4K, with the bytes the binding copies per frame on each path.

Rows: the CLI (`ysgraph run`, its --stats wall time per frame); Python running the same file
(the pure binding overhead); Python feeding the frame (lent, zero-copy) and the points itself;
the same plus a zero-copy FP16 view per frame; the same plus an rgb8 read; and ComfyUI's
"ysgraph Render" over an IMAGE batch (float32 in, IMAGE + MASK out). Each row: median of
--repeats runs of --frames frames after a warm-up frame. Prints the machine, its load, a table
and one JSON line.

usage: YSGRAPH_LIBRARY=build/libysgraph.so YSGRAPH_CLI=build/ysgraph \\
       /usr/bin/python3 bench/bench_bindings.py [--frames N] [--repeats R] [--sizes 1080p,4k]
       [--backend cpu|cuda|auto] [--json PATH]
"""

import argparse
import json
import os
import platform
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import zlib

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "python", "src"))
sys.path.insert(0, ROOT)

import numpy as np  # noqa: E402

import ysgraph  # noqa: E402

CLI = os.environ.get("YSGRAPH_CLI", "ysgraph")  # a relative path: from here, not the work dir
CLI = os.path.abspath(CLI) if os.sep in CLI else CLI
SIZES = {"1080p": (1920, 1080), "4k": (3840, 2160)}
BODY = """local pts   = {points}
local knn   = graph {{ points = pts, mode = 'knn', k = 3 }}
local links = line {{ points = knn.points, edges = knn.edges, width = 2, color = '#22d3ee' }}
local dots  = dot {{ points = pts, radius = 5, color = '#ffd60a' }}
merge {{ name = 'out', layers = {{ {frame}, links, dots }} }}
"""


def machine():
    model, flags = platform.processor() or "?", set()
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
            elif line.startswith("flags"):
                flags = set(line.split(":", 1)[1].split())
    except OSError:
        pass
    isa = " ".join(f for f in ("avx2", "f16c", "fma", "avx512f") if f in flags)
    return model, os.cpu_count(), isa


def write_png(path, rgb):
    h, w, _ = rgb.shape
    raw = b"".join(b"\x00" + rgb[y].tobytes() for y in range(h))

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(raw, 1)) + chunk(b"IEND", b""))


def tracks(w, h, frames, n=200, seed=3):
    rng = np.random.default_rng(seed)
    base = rng.uniform((40, 40), (w - 40, h - 40), (n, 2))
    return [base + 20 * np.sin(0.3 * f + np.arange(n))[:, None] for f in range(frames)]


def timed(fn, frames, repeats):
    """median ms per frame of fn(f) over frames 1..frames, after frame 0 as a warm-up"""
    fn(0)
    runs = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for f in range(1, frames + 1):
            fn(f)
        runs.append((time.perf_counter() - t0) * 1e3 / frames)
    return statistics.median(runs)


def bench_size(name, w, h, args, work):
    frames = args.frames
    img = np.empty((h, w, 3), np.uint8)
    img[...] = (np.arange(w, dtype=np.uint32)[None, :, None] * 255 // w).astype(np.uint8)
    write_png(os.path.join(work, "frame.png"), img)
    tr = tracks(w, h, frames + 1)
    with open(os.path.join(work, "tracks.csv"), "w") as f:
        f.write("frame,x,y\n")
        for k, xy in enumerate(tr):
            f.writelines(f"{k},{x:.3f},{y:.3f}\n" for x, y in xy)
    canvas = f"canvas {{ width = {w}, height = {h}, frames = {frames + 1} }}\n"
    cli_src = canvas + BODY.format(points="points { path = 'tracks.csv' }",
                                   frame="image { path = 'frame.png' }")
    host_src = canvas + BODY.format(points="points_in { name = 'tracks', capacity = 256 }",
                                    frame="image_in { name = 'frame' }")
    path = os.path.join(work, f"cli_{name}.lua")
    with open(path, "w") as f:
        f.write(cli_src)
    rows = {}

    # the C CLI: its own wall time of the frame loop (load excluded), median of the repeats
    cli_ms = []
    for _ in range(args.repeats):
        stats = os.path.join(work, "stats.json")
        subprocess.run([CLI, "run", path, "--quiet",
                        "--backend", args.backend, "--frames", f"0:{frames + 1}", "--stats",
                        stats], check=True, cwd=work)
        s = json.load(open(stats))
        cli_ms.append(s["wall_ms"] / s["frames"])
    rows["C CLI (same file)"] = (statistics.median(cli_ms), 0)

    with ysgraph.Pipeline(path, backend=args.backend) as p:
        rows["Python, same file"] = (timed(p.run, frames, args.repeats), 0)

    with ysgraph.Pipeline(source=host_src, backend=args.backend, name="host.lua") as p:
        p.set_image("frame", img)  # lent once: read by every frame

        def fed(f):
            p.set_points("tracks", tr[f % len(tr)].astype(np.float32))
            p.run(f)

        b0 = p.stats()["bytes_copied"]
        rows["Python, frame lent + points fed"] = (timed(fed, frames, args.repeats),
                                                  (p.stats()["bytes_copied"] - b0))

        def view(f):
            fed(f)
            v = p.torch("out")  # zero-copy FP16 view
            del v

        b0 = p.stats()["bytes_copied"]
        rows["  + FP16 view per frame (DLPack)"] = (timed(view, frames, args.repeats),
                                                   p.stats()["bytes_copied"] - b0)
        out = np.empty((h, w, 3), np.uint8)

        def read(f):
            fed(f)
            p.image("out", "rgb8", out=out)

        b0 = p.stats()["bytes_copied"]
        rows["  + rgb8 read per frame"] = (timed(read, frames, args.repeats),
                                          p.stats()["bytes_copied"] - b0)
    n_runs = (frames + 1) * args.repeats
    for k in list(rows)[2:]:
        ms, b = rows[k]
        rows[k] = (ms, b / n_runs)  # bytes per frame

    if not args.no_comfy:
        import torch

        from comfyui import runner  # noqa: F401 - the pack, as a package of the source tree
        from comfyui.render_node import YsgraphRender

        batch = torch.from_numpy(img.astype(np.float32) / 255).unsqueeze(0).repeat(frames, 1, 1, 1)
        text = "\n".join(f"{k},{i},{x:.3f},{y:.3f}" for k, xy in enumerate(tr[:frames])
                         for i, (x, y) in enumerate(xy))
        node = YsgraphRender()
        src = BODY.format(points="points_in { name = 'tracks', capacity = 256 }",
                          frame="image_in { name = 'frames' }")

        def comfy():
            node.render(src, images=batch, tracks="frame,id,x,y\n" + text, backend=args.backend)

        comfy()  # load + warm-up (cached afterwards)
        runs = []
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            comfy()
            runs.append((time.perf_counter() - t0) * 1e3 / frames)
        # per frame: the IMAGE (rgb32f) and MASK written; the batch frames are lent
        rows["ComfyUI Render (IMAGE+MASK out)"] = (statistics.median(runs), w * h * 16)
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--frames", type=int, default=6)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--sizes", default="1080p,4k")
    ap.add_argument("--backend", default="cpu")
    ap.add_argument("--no-comfy", action="store_true")
    ap.add_argument("--json")
    args = ap.parse_args()
    model, cores, isa = machine()
    print(f"machine: {model}, {cores} cores, {isa}; load {os.getloadavg()[0]:.2f} "
          f"{os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")
    print(f"ysgraph {ysgraph.version()} ({' '.join(ysgraph.features())}) from "
          f"{ysgraph.library_path()}; backend {args.backend}; {args.frames} frames x "
          f"{args.repeats} repeats, median")
    result = {"machine": model, "cores": cores, "isa": isa, "backend": args.backend, "sizes": {}}
    with tempfile.TemporaryDirectory() as work:
        for name in args.sizes.split(","):
            w, h = SIZES[name]
            rows = bench_size(name, w, h, args, work)
            base = rows["C CLI (same file)"][0]
            print(f"\n{name} ({w}x{h})\n")
            print("| path | ms/frame | vs CLI | bytes copied/frame |")
            print("|---|---:|---:|---:|")
            for k, (ms, b) in rows.items():
                print(f"| {k} | {ms:.2f} | {100 * (ms - base) / base:+.1f} % | {b:,.0f} |")
            result["sizes"][name] = {k: {"ms": ms, "bytes_copied": b} for k, (ms, b) in
                                     rows.items()}
    print("\nload after:", " ".join(f"{x:.2f}" for x in os.getloadavg()))
    line = json.dumps(result)
    print(line)
    if args.json:
        with open(args.json, "w") as f:
            f.write(line + "\n")


if __name__ == "__main__":
    main()
