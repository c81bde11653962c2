"""HTTP data providers and the one poller that schedules them.

Used by the runtime (and ``r2kmon snapshot``): it builds ``poller.PollerSettings`` from the
config (``settings.settings_from_endpoints``) and runs ``poller.Poller``, which pushes into
the hub through the :class:`~r2kmon.model.Sink` protocol. The poller is a ``scheduler``
(jobs, rate budgets, backoff, fallback chains, health; its state in ``jobs``) and a
``catalogue`` (which series, from which providers, delivered where). Each provider module
(``yahoo``, ``fred``, ``coingecko``, ``coinpaprika``, ``ishares``, ``alternative_me``, and
``exchange_candles`` for the exchanges' REST candles) only builds requests and parses
answers into bars and values; ``base`` holds their shared error tree. The NYSE calendar
the poller schedules by is handed in (:data:`~r2kmon.model.CalendarLoader`).
"""
