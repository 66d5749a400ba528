"""The figures of SPEC.md ("Figures") as SQL aggregates over ``Chat`` and ``ChatEvent``: one selector per report,
the same numbers for the page, the CSV and the API; the live floor's figures of today."""
