-- looks_pulse_electric.lua — the animated looks that are parameters, not new geometry, on one
-- small procedural scene (no data files): a drifting cloud of 40 points, its Delaunay mesh and
-- its 3-nearest-neighbour links.
--   pulsing:   a line whose width and opacity are functions of time (any numeric parameter may
--              be `function(f, t)`: frame number, seconds), breathing once per second.
--   electric:  the curve node's `type = "electric"` seeded noise displacement (re-rolled over
--              time by `speed`) plus the `glow` node (a Gaussian bloom added onto the stroke).
--   particles: sparks travelling along the electric curves, fading trails behind them.
-- Run: ysgraph run pipelines/looks_pulse_electric.lua -o out     (frames land in out/frames/)

canvas { width = 640, height = 360, frames = param("frames", 48), fps = 24,
         background = "#070a18" }

local cloud = scatter { count = 40, seed = 11, speed = 20, margin = 24, name = "cloud" }
local mesh = graph { points = cloud, mode = "delaunay", name = "mesh" }
local knn = graph { points = cloud, mode = "knn", k = 3, name = "knn" }

-- pulsing: width 0.5..3.5 px and opacity 0.45..0.95, one breath per second
local pulse = line { points = mesh.points, edges = mesh.edges, color = "#22d3ee", name = "pulse",
                     width = function(f, t) return 2 + 1.5 * math.sin(2 * math.pi * t) end,
                     opacity = function(f, t) return 0.7 + 0.25 * math.sin(2 * math.pi * t) end }

-- electric: noisy curves along the KNN links, a sharp core that glows
local bolts = curve { points = knn.points, edges = knn.edges, type = "electric", samples = 48,
                      amplitude = 8, speed = 4, seed = 3, name = "bolts" }
local core = line { curves = bolts, width = 1.25, color = "#c7d2fe", name = "core" }
local electric = glow { image = core, sigma = 4, intensity = 1.5, name = "electric" }

-- particles: 2 per bolt at 0.3 of the curve per second, ±30 % speed jitter, 20 px trails
local sparks = particles { curves = bolts, count = 2, speed = 0.3, jitter = 0.3, size = 2,
                           trail = 20, color = "#fde68a", glow = 4, name = "sparks" }

local frame = merge {
  name = "frame",
  layers = { { pulse, opacity = 0.6 }, { electric, mode = "add" }, { sparks, mode = "add" } },
}

png { image = frame, path = "frames/%04d.png", name = "out" }
