canvas { width = 24, height = 24, frames = 2 }
local p = points { path = "in.csv" }
local b = boxes { path = "in.csv" }
local e = edges { path = "in.csv" }
local t = tracks { path = "in.csv", colors = "id" }
local i = image { path = "in.png", x = 2, y = -1 }
png { image = merge { layers = { i, dot { points = p }, bbox { boxes = t.boxes } } }, path = "s.png", overwrite = true }
