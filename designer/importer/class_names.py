"""One class per way a model's class is built, as the compiler can write it.

Modules of one class that differ only in sizes (torchvision's ``layer2`` holds ``BasicBlock``s
of 64 and 128 channels) keep the class: the compiler writes it once, taking the sizes as
arguments. Modules of one class built differently (a ``BasicBlock`` with a ``downsample`` and
one without) can't be one generated class: each way gets its own, ``BasicBlock``,
``BasicBlock2``..., and the report says so, as ``print(model)`` shows those names.
"""

from __future__ import annotations

from designer.compiler.emit import emit_module
from designer.compiler.errors import ClassConflictError
from designer.graph import Design, check_design
from designer.importer.report import ImportReport


def distinct_classes(design: Design, report: ImportReport) -> None:
    """Rename the groups of each class that the compiler finds built in more than one way."""
    shapes = check_design(design)
    taken = {group.class_name for group in design.groups.values()} | {design.class_name}
    for _ in range(len(design.groups) + 1):  # renaming inner classes can split outer ones
        try:
            emit_module(design, shapes, "")
        except ClassConflictError as conflict:
            for class_name, variants in conflict.conflicts:
                _rename(design, class_name, variants, taken)
                report.notes.append(
                    f"the {sum(map(len, variants))} modules of class {class_name} are built in "
                    f"{len(variants)} different ways (not only sized differently): a class is "
                    f"written for each ({class_name}, {class_name}2...), and print(model) shows "
                    "those names"
                )
        else:
            return


def _rename(
    design: Design, class_name: str, variants: tuple[tuple[str, ...], ...], taken: set[str | None]
) -> None:
    number = 1
    # the way most of them are built keeps the name (ResNet's Bottleneck without a downsample)
    for group_ids in sorted(variants, key=len, reverse=True)[1:]:
        number += 1
        while f"{class_name}{number}" in taken:
            number += 1
        renamed = f"{class_name}{number}"
        taken.add(renamed)
        for group_id in group_ids:
            design.set_group_class(group_id, renamed)
