local n = param("n", 12)
canvas { width = 32, height = 32, frames = param("frames", 2) }
local pts = scatter { count = n, seed = 9, margin = 4 }
local v = graph { points = pts, mode = "voronoi" }
local r = graph { points = pts, mode = "radius", radius = 10, degree_cap = 3 }
local c = curve { points = r.points, edges = r.edges, type = "logarithmic_spiral", samples = 8 }
png { image = line { curves = c, width = 1 }, path = "p%d.png" }
png { image = line { points = v.points, edges = v.edges }, path = "v%d.png" }
