"""Cases for ``torch_layer``: a few torch.nn classes with keywords they take, over small inputs.

Generic draws can't name a class or its keywords; these do, with values inside and outside
what each class accepts, so both torch's outputs and its refusals are met.
"""

from __future__ import annotations

from hypothesis import strategies as st

from designer.graph.catalogue import CATALOGUE
from tests.kind_cases import Case, shapes_of_rank

KIND = CATALOGUE["torch_layer"]
SMALL = st.integers(1, 6)

_KEYWORDS: dict[str, st.SearchStrategy[dict[str, object]]] = {
    "Hardtanh": st.fixed_dictionaries(
        {}, optional={"min_val": st.floats(-3, 0), "max_val": st.floats(0.5, 3)}
    ),
    "LeakyReLU": st.fixed_dictionaries(
        {}, optional={"negative_slope": st.floats(0, 1), "inplace": st.booleans()}
    ),
    "LPPool2d": st.fixed_dictionaries(
        {"norm_type": st.sampled_from([1, 2, 3.0]), "kernel_size": st.integers(1, 4)},
        optional={"stride": st.integers(1, 3), "ceil_mode": st.booleans()},
    ),
    "ChannelShuffle": st.fixed_dictionaries({"groups": st.integers(1, 4)}),
    "PixelShuffle": st.fixed_dictionaries({"upscale_factor": st.integers(1, 3)}),
    "Softmax": st.fixed_dictionaries({"dim": st.integers(-4, 3)}),
    "ZeroPad2d": st.fixed_dictionaries({"padding": st.integers(0, 3)}),
    "Unflatten": st.fixed_dictionaries(
        {"dim": st.integers(1, 2), "unflattened_size": st.lists(SMALL, min_size=1, max_size=2)}
    ),
    "Linear": st.fixed_dictionaries(
        {"in_features": SMALL, "out_features": SMALL}, optional={"bias": st.booleans()}
    ),
    "Identity": st.just({}),
}


@st.composite
def torch_layer_cases(draw: st.DrawFn) -> Case:
    class_name = draw(st.sampled_from(sorted(_KEYWORDS)))
    keywords = draw(_KEYWORDS[class_name])
    params = KIND.validate_params({"class_name": class_name, "kwargs": keywords})
    shape = draw(shapes_of_rank(2, 4, SMALL))
    return params, (shape,)


CASES = {"torch_layer": torch_layer_cases()}
