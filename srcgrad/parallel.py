"""Evaluating a gradient over a batch of points on a Dask cluster.

::

    from srcgrad import grad
    from srcgrad.parallel import map_points

    dloss = grad(loss, argnums=(0, 1))
    grads = map_points(dloss, [(x, y) for x, y in points])         # a small LocalCluster
    grads = map_points(dloss, points, client=my_dask_client)       # or a cluster you have

The points are cut into chunks, one task a chunk, so per-task overhead is
paid per chunk, not per point.  The gradient function travels to the workers
by reference (`Transformed.__reduce__`): each worker imports the user's module
and regenerates the gradient once, so the user's module must be importable
there.  Dask is an optional extra (``pip install 'srcgrad[dask]'``), imported
only when this module's functions run.  For one machine, a standard-library
``multiprocessing.Pool(...).starmap(dloss, points)`` or
``concurrent.futures.ProcessPoolExecutor`` works just as well.
"""
from __future__ import annotations

import contextlib
import logging
import math
import operator
from typing import Any, Callable, Iterable, Iterator, Sequence


def map_points(fn: Callable[..., Any], points: Iterable[Any], *, client: Any = None,
               chunk_size: int | None = None, n_workers: int = 2, processes: bool = False) -> list[Any]:
    """``[fn(*point) for point in points]``, evaluated on Dask.

    A point that is not a tuple or list is passed as the single argument.
    Without `client`, a `local_client(n_workers, processes)` is started for
    the call and closed after it.  `chunk_size` points go in one task
    (default: about four tasks per worker).  A `chunk_size` or `n_workers`
    that is not a positive integer is an `ArgumentError`, raised before Dask
    is needed.
    """
    if chunk_size is not None:
        chunk_size = positive_int(chunk_size, "chunk_size")
    n_workers = positive_int(n_workers, "n_workers")
    batch = [tuple(p) if isinstance(p, (tuple, list)) else (p,) for p in points]
    if client is None:
        with local_client(n_workers=n_workers, processes=processes) as own:
            return map_points(fn, batch, client=own, chunk_size=chunk_size)
    if not batch:
        return []
    workers = max(1, len(client.scheduler_info().get("workers", {})))
    size = chunk_size or max(1, math.ceil(len(batch) / (4 * workers)))
    chunks = [batch[i:i + size] for i in range(0, len(batch), size)]
    [shared] = client.scatter([fn], broadcast=True)   # ship the function once, not once a task
    futures = client.map(evaluate_chunk, [shared] * len(chunks), chunks, pure=False)
    return [value for chunk in client.gather(futures) for value in chunk]


def positive_int(value: Any, name: str) -> int:
    """`value` as an int if it is a positive integer (NumPy integers too;
    not a bool, not a float); else `ArgumentError`."""
    from .errors import ArgumentError
    try:
        number = operator.index(value) if not isinstance(value, bool) else None
    except TypeError:
        number = None
    if number is None or number < 1:
        raise ArgumentError(f"map_points: {name} must be a positive integer, not {value!r}")
    return number


def evaluate_chunk(fn: Callable[..., Any], chunk: Sequence[tuple]) -> list[Any]:
    """One task: `fn` at every point of `chunk`."""
    return [fn(*point) for point in chunk]


@contextlib.contextmanager
def local_client(n_workers: int = 2, processes: bool = False, threads_per_worker: int = 1) -> Iterator[Any]:
    """A `dask.distributed` Client on a small LocalCluster, closed on exit.
    ``processes=False`` runs the workers as threads of this process (quick to
    start); ``processes=True`` starts worker processes."""
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError as exc:
        raise ImportError("srcgrad.parallel needs Dask: pip install 'srcgrad[dask]' "
                          "(or 'dask[distributed]')") from exc
    cluster = LocalCluster(n_workers=n_workers, processes=processes, threads_per_worker=threads_per_worker,
                           dashboard_address=None, silence_logs=logging.ERROR)
    try:
        client = Client(cluster)
        try:
            yield client
        finally:
            client.close()
    finally:
        cluster.close()
