-- showcase.lua — the ysgraph showcase on embedded demo data (no downloads).
-- A dark-blue gradient backdrop (the seed frame's look, ARCHITECTURE §11) whose angle drifts over
-- time, a radial vignette multiplied in, and a slow cyan pulse screened on top with an animated
-- opacity — every layer blended in linear light by one merge pass, written as PNG frames.
-- The tracked points (data/tracks.csv) and a procedural point cloud are loaded alongside; the
-- line/dot/box render nodes draw them once those land (dump them today with --dump).
-- Run: ysgraph run pipelines/showcase.lua -o out   (--set width=3840 --set height=2160 for 4K)

local width = param("width", 1280)
local height = param("height", 720)
canvas { width = width, height = height, frames = param("frames", 48), fps = 24,
         background = "#05081a" }

local tracks = points { path = "data/tracks.csv", name = "tracks" }
local cloud = scatter { count = 300, seed = 7, speed = 30, name = "cloud" }

local sky = gradient { from = "#0b1030", to = "#1f3a73", name = "sky",
                       angle = function(f, t) return 90 + 12 * math.sin(t * 0.5) end }
local vignette = gradient { type = "radial", from = "#ffffff", to = "#3a3f55", name = "vignette" }
local pulse = fill { color = "#22d3ee", name = "pulse" }

local frame = merge {
  name = "frame",
  layers = {
    sky,
    { vignette, mode = "multiply" },
    { pulse, mode = "screen", opacity = function(f, t) return 0.025 + 0.02 * math.sin(t * 2.0) end },
  },
}

png { image = frame, path = "frames/%04d.png", name = "out" }
