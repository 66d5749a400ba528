"""Prometheus metrics (docs/operations.md, "Metrics"): the instruments the processes write
(:mod:`core.metrics.instruments`), the ``/metrics`` page (:mod:`core.metrics.middleware`), who may read it
(:mod:`core.metrics.access`) and how one scrape gathers every process of the host (:mod:`core.metrics.exposition`).

Knows no app: chat registers its database gauges (:func:`core.metrics.exposition.collector_register`) and its
event counters from its ``AppConfig.ready()``.
"""
