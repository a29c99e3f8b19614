"""Scaling out: gradient functions pickle by reference and run in process
pools and on Dask.  Results are compared with finite differences of the plain
function `parallel_helpers.loss`.
"""
from __future__ import annotations

import concurrent.futures
import copy
import math
import multiprocessing
import pickle

import pytest

import srcgrad
import srcgrad.generated

from . import parallel_helpers as helpers
from .reference import close, numeric_gradient

POINTS = [(0.1 * i, 1.0 + 0.05 * i) for i in range(12)]


def assert_gradients(results, points=POINTS):
    assert len(results) == len(points)
    for got, point in zip(results, points):
        want = numeric_gradient(helpers.loss, point, (0, 1))
        assert all(close(a, b) for a, b in zip(got, want)), (point, got, want)


def test_decorated_global_pickles_by_name():
    data = pickle.dumps(helpers.dloss)
    # a reference: the generated-functions module and a readable recipe naming the user's function
    assert b"srcgrad.generated" in data and b"tests/parallel_helpers:dloss" in data
    assert b"def " not in data                     # no generated source travels
    assert pickle.loads(data) is helpers.dloss
    # where the live object is unknown, the recipe finds the decorated global itself
    assert srcgrad.generated._rebuild(helpers.dloss.__srcgrad_recipe__) is helpers.dloss


def test_transform_of_a_global_pickles_by_recipe():
    data = pickle.dumps(helpers.dloss_by_recipe)
    assert b"srcgrad.generated" in data and b"tests/parallel_helpers:loss" in data
    assert pickle.loads(data) is helpers.dloss_by_recipe     # same process: the live function
    # another process has no live function: the recipe regenerates it from the user's source
    copy_ = srcgrad.generated._rebuild(helpers.dloss_by_recipe.__srcgrad_recipe__)
    assert copy_ is not helpers.dloss_by_recipe and isinstance(copy_, srcgrad.Transformed)
    assert copy_.source == helpers.dloss_by_recipe.source
    assert_gradients([copy_(*p) for p in POINTS[:3]], POINTS[:3])
    value, partials = pickle.loads(pickle.dumps(helpers.value_and_dloss))(0.3, 1.2)
    assert close(value, helpers.loss(0.3, 1.2))
    assert_gradients([partials], [(0.3, 1.2)])


def test_nested_transforms_and_copies():
    d2 = srcgrad.grad(srcgrad.grad(helpers.loss), argnums=1)
    again = pickle.loads(pickle.dumps(d2))
    point = (0.4, 1.1)
    want = numeric_gradient(lambda x, y: helpers.dloss_by_recipe(x, y)[0], point, (1,))[0]
    assert close(again(*point), want, rel=1e-5)
    assert copy.copy(d2) is d2 and copy.deepcopy([d2])[0] is d2


def test_a_local_function_fails_to_pickle_clearly():
    def local(x):
        return x * x
    with pytest.raises((pickle.PicklingError, AttributeError)):
        pickle.dumps(srcgrad.grad(local))


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_multiprocessing_pool(method):
    if method not in multiprocessing.get_all_start_methods():
        pytest.skip(f"no {method} start method here")
    with multiprocessing.get_context(method).Pool(2) as pool:
        assert_gradients(pool.starmap(helpers.dloss, POINTS))
        assert_gradients(pool.map(helpers.evaluate, POINTS))


def test_process_pool_executor():
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(max_workers=2, mp_context=context) as executor:
        xs, ys = zip(*POINTS)
        assert_gradients(list(executor.map(helpers.dloss_by_recipe, xs, ys)))
        futures = [executor.submit(helpers.dloss, *p) for p in POINTS[:3]]
        assert_gradients([fut.result() for fut in futures], POINTS[:3])


def test_dask_local_cluster_threads():
    pytest.importorskip("dask.distributed")
    from srcgrad.parallel import local_client, map_points
    with local_client(n_workers=2, processes=False) as client:
        assert_gradients(map_points(helpers.dloss, POINTS, client=client, chunk_size=5))
        assert map_points(helpers.dloss, [], client=client) == []
        single = srcgrad.grad(helpers.sin_cubed)  # scalar points are single arguments
        by_hand = [3 * math.sin(x) ** 2 * math.cos(x) for x in (0.5, 1.5)]
        assert all(close(a, b) for a, b in zip(map_points(single, [0.5, 1.5], client=client), by_hand))


def test_dask_worker_process():
    pytest.importorskip("dask.distributed")
    from srcgrad.parallel import map_points
    assert_gradients(map_points(helpers.dloss_by_recipe, POINTS, n_workers=1, processes=True))
