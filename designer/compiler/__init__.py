"""Designs become idiomatic PyTorch source, and that exact source becomes the live model."""

from designer.compiler.compile import CompiledDesign, compile_design
from designer.compiler.errors import (
    CompileError,
    GeneratedCodeError,
    MissingExtraError,
    ModelRunError,
    ShapeCheckError,
    UnsafeSourceError,
)
from designer.compiler.live import build_model, load_source, materialize

__all__ = [
    "CompileError",
    "CompiledDesign",
    "GeneratedCodeError",
    "MissingExtraError",
    "ModelRunError",
    "ShapeCheckError",
    "UnsafeSourceError",
    "build_model",
    "compile_design",
    "load_source",
    "materialize",
]
