"""What every app shares and that knows no app: the error every service raises
(:mod:`core.errors`), the extension points through which a lower layer tells a higher
one that something happened (:mod:`core.hooks`), and the plumbing of the JSON ways in
(:mod:`core.rest`: error answers, throttles, pagination, the schema; :mod:`core.bodies`,
:mod:`core.client_ip`), plus the admin's building blocks (:mod:`core.admin_base`).

``core`` imports none of ``agents``, ``crm``, ``chat`` and ``config`` (an import-linter
contract in pyproject.toml); docs/decisions.md, "Import layers", says why it is a package of
its own.
"""
