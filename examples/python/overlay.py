# overlay.py — ysgraph from Python: lend a video frame (zero-copy), feed tracked points, render,
# read the frames back. Run with the package installed (or PYTHONPATH=python/src).
import numpy as np

import ysgraph

PIPELINE = """
canvas { width = 320, height = 180, frames = 3 }
local video = image_in { name = 'frames' }
local pts   = points_in { name = 'tracks' }
local knn   = graph { points = pts, mode = 'knn', k = 2 }
local links = line { points = knn.points, edges = knn.edges, width = 2, color = '#22d3ee' }
merge { name = 'out', layers = { video, links, dot { points = pts, radius = 4 } } }
"""

frame = np.zeros((180, 320, 3), np.uint8)  # your video frame: RGB, 8-bit (or float32, torch)
with ysgraph.Pipeline(source=PIPELINE, backend="auto") as p:
    p.set_image("frames", frame)  # lent, not copied: the pipeline reads it at every frame
    for f in range(p.canvas.frames):
        frame[:] = 40 * f  # change the frame in place
        p.set_points("tracks", np.random.default_rng(f).uniform((0, 0), (320, 180), (12, 2)))
        p.run(f)
        rgb = p.image("out", "rgb8")  # (180, 320, 3) uint8; also "rgba8", "rgb32f", "mask", ...
        print(f"frame {f}: {rgb.shape} {rgb.dtype}, background {rgb[0, 0]}")
    print("bytes copied by the binding:", p.stats()["bytes_copied"])
    view = p.image("out", "rgba16f_linear", copy=False)  # the engine's own pixels, no copy
print("view after close:", view.dtype, view.shape)  # still valid: it holds the memory
