canvas { width = 40, height = 40, frames = 2 }
local pts = scatter { count = 8, seed = 1 }
local g = graph { points = pts, mode = "mst" }
local l = line { points = g.points, edges = g.edges, width = 2, color = "#22d3ee" }
local b = blur { image = l, sigma = 3 }
local gl = glow { image = l, threshold = 0.2, intensity = 0.8 }
local p = particles { points = g.points, edges = g.edges, count = 4 }
local r = blur_region { image = gl, points = pts, radius = 5 }
png { image = merge { layers = { fill { color = "#000000" }, b, r, p } }, path = "e%02d.png", bits = "16" }
