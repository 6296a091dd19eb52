"""What ``torch-designer check`` prints: a table of blocks and shapes, or the problems."""

from __future__ import annotations

from typing import Any

from designer.graph import Design, ShapeReport, block_kind, shape_text
from designer.graph.shapes import problem_lines
from designer.text_table import text_table


def report_rows(design: Design, report: ShapeReport) -> list[dict[str, Any]]:
    """One row per block, in data-flow order, named by its path in ``named_modules()``."""
    rows = []
    paths = design.module_paths()
    for block_id in design.topological_order():
        block, result = design.blocks[block_id], report.results[block_id]
        rows.append(
            {
                "id": block_id,
                "name": block.name,
                "qualified_name": paths.blocks[block_id],
                "kind": block.kind,
                "group": None if block.group is None else paths.groups[block.group],
                "output_shape": list(result.shape) if result.shape is not None else None,
                "parameters": result.parameters,
            }
        )
    return rows


def report_json(design: Design, report: ShapeReport) -> dict[str, Any]:
    return {
        "model": design.class_name,
        "ok": report.ok,
        "total_parameters": report.total_parameters,
        "blocks": report_rows(design, report),
        "problems": [
            {
                "block": problem.block_id,
                "edge": (
                    None
                    if problem.edge is None
                    else {
                        "source": problem.edge.source,
                        "target": problem.edge.target,
                        "target_port": problem.edge.target_port,
                    }
                ),
                "message": problem.message,
                "expected": problem.expected,
                "received": problem.received,
            }
            for problem in report.problems
        ],
    }


def report_text(design: Design, report: ShapeReport) -> str:
    header = ("block", "kind", "output shape", "parameters")
    table = []
    for row in report_rows(design, report):
        shape = row["output_shape"]
        count = row["parameters"]
        table.append(
            (
                row["qualified_name"],
                block_kind(row["kind"]).label,
                "-"
                if not design.kind(row["id"]).has_output
                else ("?" if shape is None else shape_text(shape)),
                "?" if count is None else f"{count:,}",
            )
        )
    lines = [f"{design.class_name}", *text_table(header, table)]
    lines.append(f"total parameters: {report.total_parameters:,}")
    if report.ok:
        lines.append("shapes OK")
    else:
        lines.extend(problem_lines(report.problems))
    return "\n".join(lines)
