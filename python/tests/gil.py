"""A check shared by the tests: a long call releases the GIL."""

import threading
import time


def assert_releases_the_gil(call):
    """Run `call()` in another thread while this one keeps taking time
    stamps: away from the edges of the call (a switch interval is 5 ms),
    this thread can only run if the call released the GIL. The call must
    take well over 80 ms."""
    window = {}

    def timed():
        t0 = time.perf_counter()
        call()
        window["t"] = (t0, time.perf_counter())

    stamps = []
    t = threading.Thread(target=timed)
    t.start()
    while t.is_alive():
        stamps.append(time.perf_counter())
    t.join()
    t0, t1 = window["t"]
    margin = 0.02
    assert t1 - t0 > 4 * margin, f"the call took {t1 - t0:.3f} s: too short to tell"
    inside = [s for s in stamps if t0 + margin < s < t1 - margin]
    assert len(inside) > 100
