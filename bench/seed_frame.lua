-- seed_frame.lua — the "seed frame" workload of ARCHITECTURE §10, the benchmark bench_seed runs on
-- the CPU and CUDA backends: 1000 drifting points, their KNN (k = 5) links drawn twice — straight
-- cyan 2 px lines and violet cubic-Bézier arcs (32 samples, 2 px) — 100 red rounded boxes, 1000
-- yellow dots, over a dark-blue gradient: a 5-layer merge. Every node but the two point sources
-- (scatter, on the host) runs on the device, in one segment.
-- Parameters (--set NAME=VALUE, or ysg_load_options.defines): width, height (the canvas; tests run
-- it small), frames, points, boxes, and png (true: write the frames to seed/NNNN.png).
-- Run: ysgraph run bench/seed_frame.lua -o out --set png=true --set frames=10

local W, H = param("width", 3840), param("height", 2160)
canvas { width = W, height = H, frames = param("frames", 60), fps = 30, background = "#05081a" }

local pts = scatter { count = param("points", 1000), seed = 7, speed = 40, radius = 3,
                      name = "pts" }
local anchors = scatter { count = param("boxes", 100), seed = 21, speed = 25, margin = 48,
                          name = "anchors" }

local sky = gradient { from = "#0b1030", to = "#1f3a73", name = "sky",
                       angle = function(f, t) return 90 + 10 * math.sin(t * 0.5) end }
local knn = graph { points = pts, mode = "knn", k = 5, name = "knn" }
local arcs = curve { points = knn.points, edges = knn.edges, type = "cubic_bezier", samples = 32,
                     name = "arcs",
                     overshoot = function(f, t) return 0.22 + 0.08 * math.sin(t * 1.5) end }

local links = line { points = knn.points, edges = knn.edges, width = 2, color = "#22d3ee",
                     opacity = 0.7, name = "links" }
local arc_lines = line { curves = arcs, width = 2, color = "#a855f7", name = "arc_lines" }
local boxes = bbox { points = anchors, size = "fixed", w = 56, h = 40, stroke = 2, radius = 6,
                     color = "#ff3b30", name = "boxes" }
local dots = dot { points = pts, radius = 4, data_radius = false, color = "#ffd60a",
                   name = "dots" }

local frame = merge { name = "frame", layers = { sky, links, arc_lines, boxes, dots } }

if param("png", false) then
  png { image = frame, path = "seed/%04d.png", name = "out" }
end
