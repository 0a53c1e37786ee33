"""The adversarial suite (tests/adversarial_cases.py): every case must end as the right value
or as a clear error naming the op and the problem; none silently wrong, none a raw error."""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from adversarial_cases import CASES, classify  # noqa: E402  (tests/adversarial_cases.py)


def test_the_suite_is_large_enough():
    assert len(CASES) >= 150
    assert len({label for label, *_ in CASES}) == len(CASES)


@pytest.mark.parametrize("label, kind, fn, exc, words", CASES, ids=[c[0][:3] for c in CASES])
def test_case(label, kind, fn, exc, words):
    outcome, detail = classify(kind, fn, exc, words)
    assert outcome in ("right value", "clear error"), f"{label}: {outcome}: {detail}"
