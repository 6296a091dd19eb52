"""Every kind's shape and parameter rules against the code it writes, run by torch on meta.

For each catalogue kind, hypothesis draws parameters and input shapes (``tests.kind_cases``);
the entry's own code is built and run (``tests.kind_oracle``). Where torch gives an output, the
rules must give its shape and parameter count; where torch refuses (or gives a zero-size
dimension), the shape rule must raise ``ShapeRuleError``. Kinds with a hand-written reference
as well are checked against it in ``test_shape_rules_meta.py``.
"""

from __future__ import annotations

import pytest
import torch
from hypothesis import assume, given, settings

from designer.graph.catalogue import CATALOGUE
from designer.graph.kind import BlockKind
from designer.graph.shape_rules import ShapeRuleError
from tests.kind_cases import Case, all_cases, generic_cases
from tests.kind_oracle import code_outcome
from tests.profiles import examples

CPU = torch.device("cpu")
META = torch.device("meta")
CASES = all_cases()
CHECKED = [kind for kind in CATALOGUE.values() if kind.end is None]


def check_case(kind: BlockKind, case: Case) -> None:
    params, inputs = case
    assume(kind.problem_rule is None or not kind.problem_rule(params))
    try:
        shape = kind.shape_rule(params, inputs)
        parameters = kind.parameter_rule(params, inputs, shape)
        if kind.outputs_rule is not None:  # the oracle gives every output's shape
            shape = (shape, *kind.outputs_rule(params, inputs, shape))  # type: ignore[assignment]
        rule: tuple[object, int] | ShapeRuleError = (shape, parameters)
    except ShapeRuleError as error:
        rule = error
    verdict = code_outcome(kind, params, inputs, META)
    agrees = (
        isinstance(rule, ShapeRuleError)
        if verdict.refused
        else rule
        == (
            verdict.shape,
            verdict.parameters,
        )
    )
    if not agrees:  # meta kernels skip some checks the CPU ones make: those decide
        verdict = code_outcome(kind, params, inputs, CPU)
    if verdict.refused:
        assert isinstance(rule, ShapeRuleError), (
            f"torch refuses {inputs} with {params} ({verdict.error}), but the rule gives {rule}"
        )
        return
    assert not isinstance(rule, ShapeRuleError), (
        f"torch gives {verdict.shape} from {inputs} with {params}, but the rule raises: "
        f"{rule.message}"
    )
    assert rule == (verdict.shape, verdict.parameters), "(shape, parameters): rule vs torch"


@pytest.mark.parametrize("kind", CHECKED, ids=lambda kind: kind.name)
def test_rules_match_the_code_they_write(kind: BlockKind) -> None:
    strategy = CASES[kind.name] if kind.name in CASES else generic_cases(kind)

    @settings(max_examples=examples(60), deadline=None)
    @given(strategy)
    def check(case: Case) -> None:
        check_case(kind, case)

    check()


def test_every_case_names_a_kind() -> None:
    assert set(CASES) <= set(CATALOGUE)
