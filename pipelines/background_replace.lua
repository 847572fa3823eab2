-- background_replace.lua — green-screen keying: replace a video's background with an animated
-- ysgraph scene and keep the video's sound.
-- Input: a green-screen video (default data/greenscreen.mp4: 2 s, 320×180, 24 fps, a 440 Hz
-- tone; made by tests/test_matte_video.c with YSG_UPDATE_GOLDEN=1: a soft-edged disc with green
-- spill on its rim and a motion-blurred block moving over an unevenly lit screen).
--   key:       chroma_key against the screen colour, despilled; premultiply=false keeps the
--              whole despilled frame so the refined matte decides what shows.
--   refine:    matte — a soft threshold, specks and pinholes removed, the edge pulled in half
--              a pixel, temporal smoothing with a dead band (no crawling edges on a still
--              subject), then a guided filter that snaps the matte to the frame's own edges.
--   composite: over a slowly turning gradient with sparks running along a drifting KNN mesh,
--              with a little light wrap from the new background.
-- Output: background_replace.mp4 (H.264 via NVENC when the GPU has an encoder, else libx264),
-- the input's audio copied for the rendered frames.
-- Run: ysgraph run pipelines/background_replace.lua -o out
--      ysgraph run pipelines/background_replace.lua -o out --unsafe \
--              --set video=/data/take1.mp4 --set key=#2fa84f --set out=take1_replaced.mp4

-- keying works on chroma: interpolated between its samples, the matte's edges follow the pixels
-- (the default, nearest, keeps 2x2 chroma blocks, best for a video passed straight through)
local clip = video_in { name = "clip", path = param("video", "data/greenscreen.mp4"),
                        chroma = "bilinear" }

local key = chroma_key { name = "key", image = clip, key = param("key", "#3da94a"),
                         similarity = 0.05, blend = 0.15, despill = 1, premultiply = false }

local refined = matte { name = "matte", matte = key.matte, threshold = 0.5, softness = 0.6,
                        islands = 16, holes = 16, grow = -0.5, temporal = 0.6,
                        temporal_deadband = 0.02, guided = 3, guided_eps = 0.001, image = clip }

-- the new background: a gradient turning 20° per second, sparks along a drifting mesh
local sky = gradient { name = "sky", from = "#0b1030", to = "#6d28d9",
                       angle = function(f, t) return 90 + 20 * t end }
local cloud = scatter { name = "cloud", count = 48, seed = 5, speed = 30, margin = 16 }
local mesh = graph { name = "mesh", points = cloud, mode = "knn", k = 2 }
local sparks = particles { name = "sparks", points = mesh.points, edges = mesh.edges, count = 2,
                           speed = 0.35, size = 2, trail = 14, color = "#fde68a", glow = 3 }
local backdrop = merge { name = "backdrop", layers = { sky, { sparks, mode = "add" } } }

local frame = composite { name = "frame", fg = key, matte = refined, bg = backdrop,
                          light_wrap = 0.35, wrap_sigma = 6 }

video_out { name = "out", image = frame, path = param("out", "background_replace.mp4"),
            audio = clip, crf = 20 }
