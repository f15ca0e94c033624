"""Where many independent runs execute: this process, a local Dask cluster, or a remote one.

:func:`run_tasks` is the one execution path of campaigns and of ``hdsim nees``: a list of task
argument tuples goes to ``fn`` on Dask workers (a ``LocalCluster`` of ``workers`` processes with
one thread each by default, the scheduler at ``scheduler``, or a ``Client`` the caller holds),
and each result comes back to this process with its task index, in completion order. ``workers
= 0`` runs the tasks here, in order, without Dask. Tasks must be pure functions of their
arguments (their results then do not depend on where or in which order they ran).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["run_tasks"]


def run_tasks(fn: Callable[..., Any], tasks: Sequence[tuple], on_result: Callable[[int, Any], None],
              *, workers: int = 0, scheduler: str | None = None, client: Any = None,
              shared: Sequence[Any] = ()) -> None:
    """Run ``fn(*shared, *task)`` for every task; ``on_result(index, result)`` as each ends.

    Args:
        fn: a module-level function (it is pickled to the workers).
        tasks: the per-task arguments.
        on_result: called in this process, in completion order.
        workers: local worker processes; 0 (with no ``scheduler`` or ``client``): here, in order.
        scheduler: address of a running Dask scheduler (``tcp://host:8786``).
        client: a ``distributed.Client`` to use (left open).
        shared: arguments common to every task, sent to each worker once.
    """
    if client is None and scheduler is None and workers == 0:
        for i, task in enumerate(tasks):
            on_result(i, fn(*shared, *task))
        return
    from distributed import Client, LocalCluster, as_completed

    own, cluster = client is None, None
    if client is None and scheduler is not None:
        client = Client(scheduler)
    elif client is None:
        cluster = LocalCluster(n_workers=max(int(workers), 1), threads_per_worker=1,
                               processes=True, dashboard_address=":0",
                               silence_logs=logging.ERROR)
        client = Client(cluster)
    try:
        # Each shared argument scattered as ONE object, keyed by a hash of its content: a bare
        # dict would be scattered value by value under its field names as keys, so two calls
        # on one client (two campaigns of a trade) would share keys such as "threats".
        common = [client.scatter([a], broadcast=True)[0] for a in shared]
        futures = {client.submit(fn, *common, *task, pure=False): i
                   for i, task in enumerate(tasks)}
        for fut in as_completed(list(futures)):
            on_result(futures[fut], fut.result())
            fut.release()
    finally:
        if own:
            client.close()
        if cluster is not None:
            cluster.close()
