"""test_workflow.py — the README's ComfyUI workflow (examples/comfyui/workflow_api.json, API
format) executed through the harness, as ComfyUI would queue it."""

import json
import os

import torch
from harness import load_pack, run_prompt

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def test_readme_workflow_runs():
    pack = load_pack(os.path.join(ROOT, "comfyui"))
    with open(os.path.join(ROOT, "examples", "comfyui", "workflow_api.json")) as f:
        prompt = json.load(f)
    out = run_prompt(pack, prompt)
    image, mask = out["8"]
    assert image.dtype == torch.float32 and tuple(image.shape) == (2, 360, 640, 3)
    assert tuple(mask.shape) == (2, 360, 640) and float(mask.min()) == 1.0  # opaque background
    assert not torch.equal(image[0], image[1]), "the points drift between frames"
    assert float(image[..., 0].max()) > 0.9, "the yellow dots are drawn"
