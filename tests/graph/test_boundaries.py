"""What the core must not pull in, and what must stay in step with installed torch."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from torch import nn

from designer.graph.names import NN_MODULE_ATTRIBUTES


def run_python(code: str) -> dict[str, object]:
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    output: dict[str, object] = json.loads(result.stdout.splitlines()[-1])
    return output


def test_graph_imports_neither_qt_nor_torch() -> None:
    loaded = run_python(
        "import json, sys\n"
        "import designer.graph, designer.cli\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('torch', 'PySide6', 'PyQt6', 'PyQt5'))))"
    )
    assert loaded == []


def test_no_qt_import_anywhere_under_graph() -> None:
    graph = Path(__file__).resolve().parents[2] / "designer" / "graph"
    for source in graph.glob("*.py"):
        text = source.read_text()
        assert "PySide" not in text and "PyQt" not in text, source


def test_reserved_names_cover_nn_module() -> None:
    public = {name for name in dir(nn.Module) if not name.startswith("_")}
    public |= {name for name in vars(nn.Module()) if not name.startswith("_")}
    assert public <= NN_MODULE_ATTRIBUTES, sorted(public - NN_MODULE_ATTRIBUTES)


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads Linux's VmHWM")
def test_ten_billion_parameters_are_counted_not_allocated(tmp_path: Path) -> None:
    design = tmp_path / "huge.json"
    design.write_text(
        json.dumps(
            {
                "format": "torch-designer",
                "version": 1,
                "model": {"class_name": "Huge"},
                "groups": [],
                "blocks": [
                    {"id": "b1", "kind": "input", "name": "x", "params": {"shape": [1, 100000]}},
                    {
                        "id": "b2",
                        "kind": "linear",
                        "name": "fc",
                        "params": {"out_features": 100000},
                    },
                    {"id": "b3", "kind": "output", "name": "y"},
                ],
                "edges": [{"source": "b1", "target": "b2"}, {"source": "b2", "target": "b3"}],
            }
        )
    )
    # VmHWM, not ru_maxrss: ru_maxrss survives exec, so it would show this (torch-laden) process
    result = run_python(
        "import json, pathlib, sys\n"
        "from designer.graph import check_design, load_design\n"
        f"report = check_design(load_design({str(design)!r}))\n"
        "status = pathlib.Path('/proc/self/status').read_text().splitlines()\n"
        "peak = next(int(line.split()[1]) for line in status if line.startswith('VmHWM:'))\n"
        "print(json.dumps({'params': report.total_parameters, 'peak_kib': peak, "
        "'torch': 'torch' in sys.modules}))"
    )
    assert result["params"] == 100000 * 100000 + 100000
    assert result["torch"] is False
    assert isinstance(result["peak_kib"], int) and result["peak_kib"] < 400 * 1024
