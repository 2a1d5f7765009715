"""The application: report jobs from request to stored report.

- ``service``: ``ReportService``, what the web and the scheduler call (request, join, cancel,
  read); ``lifecycle``: every job transition rule; ``quotas``: who a new job counts against
  and how many they may start; ``generation``: collect from GitHub, then build (the actor's and
  the CLI's one path).
"""
