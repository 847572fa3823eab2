canvas { width = 64, height = 48, frames = 3, fps = 12, background = "#05081a" }
local cloud = scatter { count = 20, seed = 3, speed = 30, radius = 2 }
local knn = graph { points = cloud, mode = "knn", k = 3 }
local tri = graph { points = cloud, mode = "delaunay" }
local arcs = curve { points = knn.points, edges = knn.edges, type = "cubic_bezier" }
local sky = gradient { from = "#0b1030", to = "#1f3a73", angle = function(f, t) return 30 * t end }
local lines = line { curves = arcs, width = 1.5, color = "#a855f7", style = "dashed", dash = 4, gap = 2 }
local mesh = line { points = tri.points, edges = tri.edges, width = 0.5, color = "#ffffff" }
local dots = dot { points = cloud, radius = 2, color = "#ffd60a", glow = 3 }
local boxes = bbox { points = cloud, w = 6, h = 6, style = "corners", color = "#ff3b30" }
local frame = merge { layers = { sky, mesh, { lines, mode = "add" }, boxes, dots } }
png { image = frame, path = "f/%04d.png" }
