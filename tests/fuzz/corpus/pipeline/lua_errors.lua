local t = setmetatable({}, { __index = function(t, k) return k end })
canvas { width = t.x and 16 or 8, height = 8 }
local ok, err = pcall(function() return merge { layers = { 1, 2 } } end)
for i = 1, 100 do local s = string.rep("a", i) end
png { image = fill { color = { 1, 0.5, 0 } }, path = "x.png", compression = 9 }
error("stop")
