"""The application: report jobs from request to stored report, and who may do what to them.

- ``service``: ``ReportService``, what the web and the scheduler call (request, join, cancel,
  read); ``lifecycle``: every job transition rule; ``quotas``: who a new job counts against
  and how many they may start; ``generation``: collect from GitHub, then build (the actor's and
  the CLI's one path);
- ``permissions``: who may cancel a job or force a refresh; ``handover``: what logging in
  again does to the previous session's jobs (pure rules the web applies).
"""
