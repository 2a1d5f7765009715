"""The chaos suite (``make chaos``; a smoke of it runs in ``make test``): a real gitbrag stack
under steady mixed load, with Redis restarts, worker kills, GitHub faults, an exhausted token,
fuzzing and a secrets scan. ``stack`` starts the processes, ``load`` drives them, ``run``
injects the faults and judges the invariants, ``checks`` reads Redis and the logs,
``results`` writes ``docs/reliability.md`` and ``docs/reliability.json``."""
