"""HTTP data providers and the one poller that schedules them.

Used by the runtime (and ``r2kmon snapshot``): it builds ``poller.PollerSettings`` from the
config and runs ``poller.Poller``, which pushes into the hub through the
:class:`~r2kmon.model.Sink` protocol. Each provider module (``yahoo``, ``fred``,
``coingecko``, ``coinpaprika``, ``ishares``, ``alternative_me``) only builds requests and
parses answers; ``base`` holds their shared error tree, ``market_hours`` the NYSE calendar.
"""
