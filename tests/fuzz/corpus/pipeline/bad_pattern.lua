canvas { width = 8, height = 8, frames = 2 }
png { image = image { path = "seq/%99d.png" }, path = "f%99d.png" }
