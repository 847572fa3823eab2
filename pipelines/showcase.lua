-- showcase.lua — the ysgraph showcase on embedded demo data (no downloads): the seed-frame look
-- of ARCHITECTURE §11, animated and anti-aliased, blended in linear light.
-- 40 tracked points (data/tracks.csv) get red corner brackets that grow with track age, violet
-- cubic-Bézier arcs along their links (data/links.csv) with marching-ant dashes, and thin white
-- Delaunay lines; a drifting cloud of 160 procedural points gets cyan KNN links and yellow
-- glowing dots. All over a dark-blue gradient with a vignette, merged in one pass, PNG out.
-- Run: ysgraph run pipelines/showcase.lua -o out        (frames land in out/frames/)

canvas { width = 1280, height = 720, frames = param("frames", 48), fps = 24,
         background = "#05081a" }

local tracks = points { path = "data/tracks.csv", name = "tracks" }
local links = edges { path = "data/links.csv", name = "links" }
local cloud = scatter { count = 160, seed = 7, speed = 30, radius = 2.5, name = "cloud" }

local knn = graph { points = cloud, mode = "knn", k = 3, name = "knn" }
local tri = graph { points = tracks, mode = "delaunay", name = "tri" }
local arcs = curve { points = tracks, edges = links, type = "cubic_bezier", name = "arcs",
                     overshoot = function(f, t) return 0.22 + 0.08 * math.sin(t * 1.5) end }

local sky = gradient { from = "#0b1030", to = "#1f3a73", name = "sky",
                       angle = function(f, t) return 90 + 12 * math.sin(t * 0.5) end }
local vignette = gradient { type = "radial", from = "#ffffff", to = "#3a3f55", name = "vignette" }

local mesh = line { points = tri.points, edges = tri.edges, width = 0.75, color = "#ffffff",
                    opacity = 0.28, name = "mesh" }
local knn_lines = line { points = knn.points, edges = knn.edges, width = 1.5, color = "#22d3ee",
                         opacity = 0.85, name = "knn_lines" }
local arc_lines = line { curves = arcs, width = 2, color = "#a855f7", style = "dashed",
                         dash = 14, gap = 6, name = "arc_lines",
                         phase = function(f, t) return -40 * t end }
local boxes = bbox { points = tracks, size = "from_age", w = 34, h = 34, min_size = 10,
                     age_frames = 24, stroke = 1.5, style = "corners", corner_length = 0.3,
                     color = "#ff3b30", name = "boxes" }
local dots = dot { points = cloud, radius = 2.5, color = "#ffd60a", glow = 7,
                   glow_intensity = 0.5, name = "dots" }

local frame = merge {
  name = "frame",
  layers = {
    sky,
    { vignette, mode = "multiply" },
    mesh,
    { knn_lines, mode = "add" },
    arc_lines,
    boxes,
    dots,
  },
}

png { image = frame, path = "frames/%04d.png", name = "out" }
