"""Dense peak TFLOP/s of known GPUs, so that a run can say what share of the peak it reached.

Figures are the vendors' datasheet numbers for dense work, never the "with sparsity" ones
(which are twice these). bf16 and fp16 are tensor-core figures with FP32 accumulation (what
PyTorch uses); fp32 is plain FP32 on the CUDA cores, not TF32. Sources:

- H100 SXM, PCIe, NVL: NVIDIA H100 Tensor Core GPU datasheet.
- H200 SXM, NVL: NVIDIA H200 Tensor Core GPU datasheet.
- A100 (SXM4 and PCIe share the figures): NVIDIA A100 Tensor Core GPU datasheet.
- L4: NVIDIA L4 Tensor Core GPU datasheet.
- GeForce RTX 4090: NVIDIA Ada Lovelace GPU architecture whitepaper, appendix table
  (FP16/BF16 tensor with FP32 accumulate: 165.2 dense, 330.4 with sparsity).

A device the table doesn't know gets None: no share is shown rather than a guess. Note that
PyTorch lets cuDNN convolutions use TF32 by default (``torch.backends.cudnn.allow_tf32``), so
an fp32 run of a convolutional model can exceed the plain FP32 peak.
"""

from __future__ import annotations

import re

_PEAKS: tuple[tuple[re.Pattern[str], dict[str, float]], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), peaks)
    for pattern, peaks in (
        # the first pattern that matches wins: the specific variants come first
        (r"\bH100\b.*\bPCIe\b", {"fp32": 51.0, "bf16": 756.0, "fp16": 756.0}),
        (r"\bH100\b.*\bNVL\b", {"fp32": 60.0, "bf16": 835.0, "fp16": 835.0}),
        # torch names the SXM part "NVIDIA H100 80GB HBM3"
        (r"\bH100\b", {"fp32": 67.0, "bf16": 989.5, "fp16": 989.5}),
        (r"\bH200\b.*\bNVL\b", {"fp32": 60.0, "bf16": 835.0, "fp16": 835.0}),
        (r"\bH200\b", {"fp32": 67.0, "bf16": 989.5, "fp16": 989.5}),
        (r"\bA100\b", {"fp32": 19.5, "bf16": 312.0, "fp16": 312.0}),
        (r"\bL4\b", {"fp32": 30.3, "bf16": 121.0, "fp16": 121.0}),
        (r"\bRTX 4090\b", {"fp32": 82.6, "bf16": 165.2, "fp16": 165.2}),
    )
)


def dense_peak_tflops(device_name: str, dtype: str) -> float | None:
    """The device's dense peak for ``dtype`` ("fp32", "bf16", "fp16"); None when unknown."""
    for pattern, peaks in _PEAKS:
        if pattern.search(device_name):
            return peaks.get(dtype)
    return None
