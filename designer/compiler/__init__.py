"""Designs become idiomatic PyTorch source, and that exact source becomes the live model."""

from designer.compiler.compile import CompiledDesign, compile_design
from designer.compiler.errors import (
    CompileError,
    GeneratedCodeError,
    ShapeCheckError,
    UnsafeSourceError,
)
from designer.compiler.live import build_model, load_source, materialize

__all__ = [
    "CompileError",
    "CompiledDesign",
    "GeneratedCodeError",
    "ShapeCheckError",
    "UnsafeSourceError",
    "build_model",
    "compile_design",
    "load_source",
    "materialize",
]
