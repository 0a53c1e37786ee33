"""lessonlib.theory: the one Gaussian expectation against closed forms, kinks and wide spreads."""
import numpy as np
import pytest

from lessonlib.activations import REGISTRY
from lessonlib.checks import InputError
from lessonlib.theory import gaussian_expectation, gaussian_nodes, large_batch_growth, RELU_LARGE_BATCH_GROWTH


@pytest.mark.parametrize("std", [1e-3, 0.5, 1.0, 3.7, 10.0, 10.5, 1e3])
def test_closed_forms_at_every_spread(std):
    z, w = gaussian_nodes(std)
    assert w.sum() == pytest.approx(1.0, rel=1e-13)
    assert gaussian_expectation(lambda z: z ** 2, std) == pytest.approx(std ** 2, rel=1e-12)
    # kinks at 0: |z| and relu(z) are exact to rounding because z = 0 is a panel edge
    assert gaussian_expectation(np.abs, std) == pytest.approx(std * np.sqrt(2 / np.pi), rel=1e-12)
    assert gaussian_expectation(lambda z: np.maximum(z, 0.0), std) == pytest.approx(std / np.sqrt(2 * np.pi), rel=1e-12)


def test_a_kink_away_from_zero_is_less_accurate_but_still_close():
    # relu(z - 0.05): the kink falls inside a panel; the rule is then accurate to about 1e-6
    exact = 0.398942280401433 * np.exp(-0.05 ** 2 / 2) - 0.05 * 0.5 * (1 - 0.03987761167674492)
    assert gaussian_expectation(lambda z: np.maximum(z - 0.05, 0.0)) == pytest.approx(exact, abs=1e-5)


def test_a_narrow_slope_under_a_wide_spread():
    # E[tanh'(z)^2] for z ~ N(0, 100^2): tanh' is 1 wide, the spread 100; compare with a
    # brute-force sum on 2.4 million points 0.001 apart
    z = np.linspace(-1200.0, 1200.0, 2_400_001)
    p = np.exp(-0.5 * (z / 100.0) ** 2)
    slope2 = REGISTRY["tanh"].slope(z) ** 2
    brute = float(p @ slope2 / p.sum())
    assert gaussian_expectation(lambda z: REGISTRY["tanh"].slope(z) ** 2, 100.0) == pytest.approx(brute, rel=1e-9)


def test_large_batch_growth_and_bad_spreads():
    assert large_batch_growth("relu") == pytest.approx(RELU_LARGE_BATCH_GROWTH, rel=1e-12)
    assert gaussian_expectation(np.cos, 0.0) == 1.0                 # no spread: f(0)
    for bad in (-1.0, float("nan"), float("inf"), "1"):
        with pytest.raises(InputError, match="gaussian_nodes: std must be a finite number >= 0"):
            gaussian_nodes(bad)
