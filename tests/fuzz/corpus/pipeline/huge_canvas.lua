canvas { width = 100000, height = 100000, frames = 1000000 }
png { image = gradient { type = "radial" }, path = "h.png" }
