"""Oracles: what the code under test must produce, computed independently of it (plain loops
over the simulated data set, regular expressions written from the wording rules), so a bug
cannot hide by being computed the same way twice.

- ``report``: ``expected_report``, a report of the data set by brute force;
- ``highlights``: ``check_highlights``, a report's highlights read back number by number.
"""
