"""The Qt-free core: the design model, block catalogue, activation palette, files and shapes.

Nothing under this package imports Qt, and nothing imports torch at import time.
"""

from designer.graph.activations import ACTIVATIONS, ACTIVATIONS_BY_KEY, activation_palette
from designer.graph.catalogue import CATALOGUE, CATEGORIES, block_kind
from designer.graph.design import Design
from designer.graph.errors import (
    BadNameError,
    BadParameterError,
    CycleError,
    DesignError,
    DesignFileError,
    DuplicateIdError,
    FileAccessError,
    GroupError,
    PortError,
    UnknownBlockKindError,
    UnknownIdError,
)
from designer.graph.fileformat import (
    FORMAT_VERSION,
    design_from_dict,
    design_to_dict,
    dumps_design,
    load_design,
    loads_design,
    save_design,
)
from designer.graph.kind import BlockKind, End
from designer.graph.model import Block, Edge, Group
from designer.graph.shape_rules import Shape, shape_text
from designer.graph.shapes import (
    BlockResult,
    ShapeChecker,
    ShapeProblem,
    ShapeReport,
    check_design,
)

__all__ = [
    "ACTIVATIONS",
    "ACTIVATIONS_BY_KEY",
    "CATALOGUE",
    "CATEGORIES",
    "FORMAT_VERSION",
    "BadNameError",
    "BadParameterError",
    "Block",
    "BlockKind",
    "BlockResult",
    "CycleError",
    "Design",
    "DesignError",
    "DesignFileError",
    "DuplicateIdError",
    "Edge",
    "End",
    "FileAccessError",
    "Group",
    "GroupError",
    "PortError",
    "Shape",
    "ShapeChecker",
    "ShapeProblem",
    "ShapeReport",
    "UnknownBlockKindError",
    "UnknownIdError",
    "activation_palette",
    "block_kind",
    "check_design",
    "design_from_dict",
    "design_to_dict",
    "dumps_design",
    "load_design",
    "loads_design",
    "save_design",
    "shape_text",
]
