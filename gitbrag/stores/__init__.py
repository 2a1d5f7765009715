"""The only modules that talk to Redis: reports, jobs, credentials, the GitHub data cache,
views (and the web layer's sessions). Each hands out dataclasses or models, never raw JSON."""
