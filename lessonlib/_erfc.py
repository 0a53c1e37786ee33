r"""The complementary error function for float64 arrays, vectorized (private).

numpy has no ``erfc``. This is W. J. Cody's rational Chebyshev approximation
("Rational Chebyshev approximations for the error function", Math. Comp. 23,
1969, pp. 631-638; the coefficients of the netlib ``specfun`` routine CALERF),
evaluated with numpy on whole arrays: about 40 array operations, against one
Python call of :func:`math.erfc` per entry before. Checked against
:func:`math.erfc` on a dense grid from -30 to 30 and on both tails down to
1e-300 (``tests/test_adversarial.py``): relative error below 1e-15 wherever
erfc is a normal float64.
"""
import numpy as np

__all__ = ["erfc"]

_A = (3.1611237438705656, 113.864154151050156, 377.485237685302021, 3209.37758913846947,
      0.185777706184603153)
_B = (23.6012909523441209, 244.024637934444173, 1282.61652607737228, 2844.23683343917062)
_C = (0.564188496988670089, 8.88314979438837594, 66.1191906371416295, 298.635138197400131,
      881.95222124176909, 1712.04761263407058, 2051.07837782607147, 1230.33935479799725,
      2.15311535474403846e-8)
_D = (15.7449261107098347, 117.693950891312499, 537.181101862009858, 1621.38957456669019,
      3290.79923573345963, 4362.61909014324716, 3439.36767414372164, 1230.33935480374942)
_P = (0.305326634961232344, 0.360344899949804439, 0.125781726111229246, 0.0160837851487422766,
      6.58749161529837803e-4, 0.0163153871373020978)
_Q = (2.56852019228982242, 1.87295284992346047, 0.527905102951428412, 0.0605183413124413191,
      0.00233520497626869185)
_SQRPI = 0.56418958354775628695     # 1/sqrt(pi)


def _horner(y, top, head, tail):
    """The continued products of Cody's rational functions, in place (no temporaries)."""
    num, den = top * y, y.copy()
    for a, b in zip(head, tail):
        num += a
        num *= y
        den += b
        den *= y
    return num, den


def erfc(x):
    r"""$\operatorname{erfc}(x) = \frac{2}{\sqrt\pi}\int_x^\infty e^{-t^2}\,dt$, entrywise, for any float64 array.

    Each entry is computed by the one of Cody's three rational functions that covers it.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.abs(x)
    out = np.empty(x.shape)
    near = y <= 0.46875
    with np.errstate(all="ignore"):
        # |x| <= 0.46875: erfc = 1 - erf, with erf(x) = x R1(x^2)
        xs = x[near]
        ysq = xs * xs
        num, den = _horner(ysq, _A[4], _A[:3], _B[:3])
        out[near] = 1.0 - xs * (num + _A[3]) / (den + _B[3])
        far = ~near
        x_far = x[far]
        yf = np.abs(x_far)
        r = np.empty(yf.shape)
        mid = yf <= 4.0
        # 0.46875 < |x| <= 4: erfc(|x|) = exp(-x^2) R2(|x|)
        ym = yf[mid]
        num, den = _horner(ym, _C[8], _C[:7], _D[:7])
        r[mid] = (num + _C[7]) / (den + _D[7])
        # |x| > 4: erfc(|x|) = exp(-x^2) (1/sqrt(pi) - z R3(z)) / |x| with z = 1/x^2
        big = ~mid
        yb = yf[big]
        z = 1.0 / (yb * yb)
        num, den = _horner(z, _P[5], _P[:4], _Q[:4])
        r[big] = (_SQRPI - z * (num + _P[4]) / (den + _Q[4])) / yb
        # exp(-y^2) as exp(-t^2) exp(-(y-t)(y+t)), t = y cut to 1/16: exp(-y*y) would lose
        # relative accuracy to the rounding of y*y (about y^2 * 1e-16)
        t = np.trunc(yf * 16.0) / 16.0
        tail = np.exp(-t * t) * np.exp(-(yf - t) * (yf + t)) * r
        tail[yf == np.inf] = 0.0
        out[far] = np.where(x_far < 0, 2.0 - tail, tail)
    return out
