"""View models: reports, jobs and comparisons as the plain data the templates, the API and the
live progress stream show, and every address of a user's reports (``paths``). Pure: nothing
here reads Redis, a request or the clock (``now`` is passed in).

``paths`` (``/user/github/…``) · ``formatting`` (numbers, dates, chart geometry) · ``report``
(the report page's figures and tabs) · ``activity`` (reviews and issues) · ``paging`` (bounded
pages) · ``compare`` (a period beside the one before) · ``jobs`` (the job object, progress
words, why there is no report).
"""
