"""How thorough the property tests are.

Two hypothesis profiles: ``full`` (hypothesis's own 100 examples a test, and every budget below
as written) runs in CI; ``fast`` (a fifth of that) is the default for local runs. Pick one with
``TD_HYPOTHESIS_PROFILE=full|fast`` or hypothesis's ``pytest --hypothesis-profile=full``; with
neither, ``CI`` being set picks ``full``.
"""

from __future__ import annotations

import os

from hypothesis import settings

FULL_EXAMPLES = 100
FAST_EXAMPLES = 20
FEWEST_EXAMPLES = 3

settings.register_profile("full", max_examples=FULL_EXAMPLES)
settings.register_profile("fast", max_examples=FAST_EXAMPLES)


def load_profile_from_environment() -> str:
    name = os.environ.get("TD_HYPOTHESIS_PROFILE") or ("full" if os.environ.get("CI") else "fast")
    settings.load_profile(name)
    return name


def examples(full_budget: int) -> int:
    """``full_budget`` examples under the full profile, scaled like the profile elsewhere.

    Read when a test module is imported, which is after ``--hypothesis-profile`` is applied.
    """
    scaled = full_budget * settings.default.max_examples // FULL_EXAMPLES
    return max(FEWEST_EXAMPLES, min(full_budget, scaled))
