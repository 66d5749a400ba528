"""Health of a Parley process for load balancers and orchestrators (docs/operations.md, "Health").

``/health/live``: the process answers (no database, no broker). ``/health/ready``: every service the process
needs answers (``probe.readiness``), each check within a deadline. Both are answered by ``HealthMiddleware``
before any other middleware.
"""
