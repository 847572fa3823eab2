-- primitives.lua — a photo-like picture (pipelines/data/prim_photo.png, made by
-- scripts/gen_prim_photo.py) redrawn as 300 triangles and ellipses found one at a time by the
-- primitives node's greedy search, the build-up played over the frames: frame f shows the first
-- round(300·(f/47)²) shapes over the picture's mean colour. The search runs once, at the first
-- frame rendered, on a 128 px copy (work_size), with opacity and colour solved per shape; the
-- shapes are drawn at the canvas's 256 px as anti-aliased vectors. Every frame is a PNG, and
-- primitives.svg holds the shapes of the last frame rendered (all of them after a full run).
-- Run: ysgraph run pipelines/primitives.lua -o out    (out/frames/0000.png.., out/primitives.svg)
--      --set count=500 finds more shapes; --dump frame.shapes=shapes.json writes them as JSON.

canvas { width = 256, height = 256, frames = 48, fps = 24 }

local count = param("count", 300)
local photo = image { path = "data/prim_photo.png", name = "photo" }

local drawing = primitives {
  name = "frame", image = photo, count = count, shapes = "triangle,ellipse",
  alpha = 0,                                  -- opacity solved with each shape's colour
  work_size = 128, candidates = 300, climbs = 8, age = 60, seed = 1,
  reveal = function(f) return math.floor(count * (f / 47) ^ 2 + 0.5) end,
}

png { image = drawing, path = "frames/%04d.png" }
svg { shapes = drawing.shapes, path = "primitives.svg" }
