"""Timing shared by the benchmark scripts (imported from the scripts'
directory, which Python puts first on the path of a script it runs)."""

import statistics
import time


def median_time(f, reps):
    """The median wall time in seconds of `reps` calls of `f`, after one
    untimed call (compilation, warm-up); with an even `reps` the mean of
    the middle two."""
    f()
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        f()
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts)
