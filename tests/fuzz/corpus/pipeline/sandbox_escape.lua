canvas { width = 8, height = 8 }
local v = video_in { path = "file:/etc/passwd" }
png { image = v, path = "../x.png" }
