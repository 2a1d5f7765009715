"""The Dramatiq side of gitbrag. Importing this package builds the broker (with every
middleware) and then declares the actors, so ``dramatiq actors`` and ``periodiq actors`` work."""

from actors import broker as broker
from actors import prewarm as prewarm
from actors import report as report
