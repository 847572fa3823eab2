-- tracking_labels.lua — the annotation showcase: tracked objects over a video with labels, trails,
-- motion arrows and a zone.
-- Input: a video (default data/demo.mp4: 2 s, 320×180, 24 fps) and its tracks as a detector or
-- tracker writes them (default data/demo_labels.csv: frame,id,x,y,w,h,conf,label; frames from 0)
-- and a zone polygon (data/demo_zone.csv: id,x,y vertices in order).
-- Each track gets a box in its own colour (golden-ratio hues by id) with a "#id class conf" label
-- on a plate of that colour, a yellow trail of its centre over the last second that thins and fades
-- with age, and a white arrow along its last half second of motion; the zone is a translucent
-- cyan polygon. Trails read the tracks at past frames, so any frame renders on its own.
-- Output: tracking_labels.mp4 (H.264 via NVENC when the GPU has an encoder, else libx264; the
-- audio is copied from the input).
-- Run: ysgraph run pipelines/tracking_labels.lua -o out

local video = video_in { name = "video", path = param("video", "data/demo.mp4") }
local t = tracks { name = "tracks", path = param("tracks", "data/demo_labels.csv"), colors = "id" }
local zone = polygon { name = "zone", points = points { path = param("zone", "data/demo_zone.csv") },
                       fill = "#22d3ee", fill_opacity = 0.18, color = "#22d3ee", width = 1.5 }
local past = trail { name = "past", points = t.points, length = 24, max_gap = 4 }
local trails = line { name = "trails", curves = past, width = 3, taper = 0.15,
                      taper_opacity = 0.1, color = "#ffd60a" }
local recent = trail { name = "recent", points = t.points, length = 12, max_gap = 4 }
local motion = line { name = "motion", curves = recent, width = 1.5, cap_end = "arrow",
                      arrow_length = 6, arrow_width = 6, color = "#ffffff" }
local boxes = bbox { name = "boxes", boxes = t.boxes, stroke = 1.5, radius = 3 }
local labels = text { name = "labels", boxes = t.boxes, text = "#{id} {label} {conf:.0%}",
                      size = 9, padding = 2, plate_radius = 2, plate_opacity = 0.85,
                      data_colors = "plate", color = "#000000", shadow = {0, 0} }
local frame = merge { name = "frame", layers = { video, zone, trails, boxes, motion, labels } }
video_out { name = "out", image = frame, path = param("out", "tracking_labels.mp4"), audio = video,
            crf = 20 }
