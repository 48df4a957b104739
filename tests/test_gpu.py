"""On a CUDA GPU only (skipped elsewhere, with the reason): the bf16 channels-last frozen pass
against float32 on the CPU, and lab pre-training under torchrun with nccl (two GPUs or more).
``pytest tests/test_gpu.py`` on a GPU machine; ``python benchmarks/gpu.py`` gives the figures."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest
import torch
import torch.nn.functional as F

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


def test_bf16_channels_last_extraction_matches_float32_on_the_cpu():
    from facepsych.models import build_model
    from facepsych.train.extract import extraction_precision, frozen_pass

    net = build_model("alexnet", hidden=16, seed=0).eval()
    x = torch.rand(8, 3, 224, 224, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        cpu = frozen_pass(net, x, torch.device("cpu"))
        gpu = frozen_pass(net.to("cuda:0"), x, torch.device("cuda:0"))
    assert extraction_precision("cuda:0") == "bfloat16"
    assert gpu.dtype == torch.float32 and gpu.device.type == "cpu" and gpu.shape == cpu.shape
    assert F.cosine_similarity(cpu, gpu, dim=1).min() > 0.9995
    assert ((gpu - cpu).norm(dim=1) / cpu.norm(dim=1)).max() < 0.02


@pytest.mark.skipif(torch.cuda.device_count() < 2, reason="nccl DDP needs two GPUs or more")
def test_ddp_nccl_ranks_end_with_identical_weights(tmp_path):
    script = tmp_path / "run.py"
    script.write_text(textwrap.dedent(
        """
        import os, sys, torch
        from facepsych.train.pretrain import pretrain, torchvision_state_dict
        out = sys.argv[1]
        res = pretrain(out=out + "/ckpt.pth", task="objects", arch="alexnet", classes=3,
                       per_class=8, image_size=64, epochs=1, batch_size=4, hidden=16,
                       device="cuda", progress=False)
        assert torch.distributed.get_backend() == "nccl"
        state = {k: v.cpu() for k, v in torchvision_state_dict(res.net).items()}
        torch.save(state, f"{out}/rank{os.environ['RANK']}.pt")
        """
    ))  # fmt: skip
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node",
           "2", str(script), str(tmp_path)]  # fmt: skip
    proc = subprocess.run(cmd, env=dict(os.environ), capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    r0 = torch.load(tmp_path / "rank0.pt", weights_only=True)
    r1 = torch.load(tmp_path / "rank1.pt", weights_only=True)
    assert r0.keys() == r1.keys()
    assert all(torch.equal(r0[k], r1[k]) for k in r0)
