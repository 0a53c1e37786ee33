"""Cross-check of lessonlib's Adam and SGD against torch.optim (skipped without torch).

torch is not a dependency: install it in a throwaway environment to run this.
Three parameters, eight steps of given gradients, float64; one parameter gets its first
gradient at step 4 and another has none at steps 2 and 6 (torch skips those).
"""
import numpy as np
import pytest

import lessonlib as L
import lessonlib.optim  # noqa: F401

torch = pytest.importorskip("torch")


def schedule():
    rng = np.random.default_rng(3)
    grads = [[rng.standard_normal(3) for _ in range(8)] for _ in range(3)]
    for step in range(3):
        grads[1][step] = None            # first gradient at step 4
    grads[2][1] = grads[2][5] = None     # no gradient at steps 2 and 6
    return grads


@pytest.mark.parametrize("kind", ["adam", "sgd"])
def test_optimizer_matches_torch(kind):
    grads = schedule()
    start = [np.array([1.0, -2.0, 0.5]), np.array([0.3, 0.3, 0.3]), np.array([-1.0, 0.0, 2.0])]
    mine = [L.Tensor(s, requires_grad=True) for s in start]
    theirs = [torch.tensor(s, dtype=torch.float64, requires_grad=True) for s in start]
    if kind == "adam":
        opt_l = L.optim.Adam(mine, lr=0.1, betas=(0.9, 0.999), eps=1e-8)
        opt_t = torch.optim.Adam(theirs, lr=0.1, betas=(0.9, 0.999), eps=1e-8)
    else:
        opt_l = L.optim.SGD(mine, lr=0.1)
        opt_t = torch.optim.SGD(theirs, lr=0.1)
    for step in range(8):
        for p, q, g in zip(mine, theirs, grads):
            p.grad = None if g[step] is None else np.array(g[step])
            q.grad = None if g[step] is None else torch.tensor(g[step], dtype=torch.float64)
        opt_l.step()
        opt_t.step()
        for p, q in zip(mine, theirs):
            np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=1e-14, atol=1e-15)
