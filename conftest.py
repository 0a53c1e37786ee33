"""pytest configuration shared by the library tests and the notebook tests.

One BLAS thread per process. `pytest` runs two workers (pytest-xdist, see
pyproject.toml), and each notebook runs in its own kernel, started from a worker
and inheriting this environment. With OpenBLAS's default of one thread per core,
two kernels doing matrix products at the same time oversubscribe a 2-core
machine. Measured on 2 cores: two notebooks each doing 1,000 steps of
tanh(h @ W) with 256 x 256 matrices took 3.2-3.7 s with one thread each, and
4.1-18 s with the default threads; two processes doing 128 x 128 products at once
took 16 ms per product with default threads against 75 us with one thread.
For small matrices a single thread loses little when running alone.
A value already set in the environment wins.
"""

import os
import sys

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

if "numpy" in sys.modules:  # already loaded by a plugin: limit its BLAS pool directly
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=int(os.environ["OPENBLAS_NUM_THREADS"]), user_api="blas")
