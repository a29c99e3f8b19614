"""Gradient / primal run time of the backward sweeps issue 10 (item 5) is
about: a loop over nested ifs, a long loop body, nested loops with
invariant work (benchmarks/scale_programs.py).

Run from the repository root: ``python -m benchmarks.bench_recompute``.
Each row times f itself and its generated gradient with timeit,
interleaved, best of many rounds (other work on the machine only ever makes
a round slower).
"""
from __future__ import annotations

import time
import timeit

import srcgrad
from benchmarks import scale_programs as sp

CASES = (("nested_if_body(10)", sp.nested_if_body(10)),
         ("long_loop_body(200)", sp.long_loop_body(200)),
         ("nested_loop_work(10)", sp.nested_loop_work(10)))
POINT = (0.3, 0.7)


def best_times(fns, args, rounds: int = 25) -> list[float]:
    """Best seconds per call of each of `fns`, timed in turn each round."""
    number = max(1, int(0.02 / max(1e-7, timeit.timeit(lambda: fns[0](*args), number=1))))
    best = [float("inf")] * len(fns)
    for _ in range(rounds):
        for k, fn in enumerate(fns):
            best[k] = min(best[k], timeit.timeit(lambda: fn(*args), number=number) / number)
    return best


def main() -> None:
    print(f"{'program':22s} {'f (us)':>9s} {'grad/f':>7s} {'value_and_grad/f':>17s} {'compile (s CPU)':>16s}")
    for name, source in CASES:
        f = sp.load(source, "recompute").f
        start = time.process_time()
        df = srcgrad.grad(f, argnums=(0, 1))
        compile_time = time.process_time() - start
        vg = srcgrad.value_and_grad(f, argnums=(0, 1))
        tf, tg, tv = best_times([f, df, vg], POINT)
        print(f"{name:22s} {tf * 1e6:9.1f} {tg / tf:7.2f} {tv / tf:17.2f} {compile_time:16.2f}")


if __name__ == "__main__":
    main()
