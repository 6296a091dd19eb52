"""Keep torch's import-time notices about its own affairs off the user's terminal.

Commands that need no GPU must print only the project's own words. Two notices of torch's are
about nothing the user did: the CPU wheels warn when numpy is absent (nothing here needs numpy),
and CUDA builds on a machine with a CUDA toolkit but no GPU log "No CUDA runtime is found" when
``torch.utils.benchmark`` imports ``torch.utils.cpp_extension``. Everything else torch says is
left alone.
"""

from __future__ import annotations

import logging
import warnings

_CPP_EXTENSION_LOGGER = "torch.utils.cpp_extension"
_NO_CUDA_RUNTIME = "No CUDA runtime is found"


def _is_no_cuda_runtime_notice(record: logging.LogRecord) -> bool:
    return not str(record.msg).startswith(_NO_CUDA_RUNTIME)


def quiet_torch_imports() -> None:
    """Filter the two notices; safe to call more than once, and before torch is imported."""
    warnings.filterwarnings("ignore", message="Failed to initialize NumPy", category=UserWarning)
    logger = logging.getLogger(_CPP_EXTENSION_LOGGER)
    if _is_no_cuda_runtime_notice not in logger.filters:
        logger.addFilter(_is_no_cuda_runtime_notice)
