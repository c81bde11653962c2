"""Simulated data for ``--demo``: a crypto feed and an index source that plug into the same
:class:`~r2kmon.model.Producer` / :class:`~r2kmon.model.Sink` interfaces as the real ones.

Everything they produce carries ``simulated=True`` and a source name starting with ``demo``,
so the UI shows a SIMULATED badge and ``snapshot --json`` says ``"simulated": true``.
"""
