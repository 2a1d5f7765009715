"""Where gitbrag leans on Dramatiq beyond its public API, pinned so that an upgrade changing
it fails here, loudly, rather than in a Redis outage.

``actors.broker.RecoveringRedisBroker`` requeues the delayed messages a consumer dropped when
it lost Redis: it reads the consumer's unacknowledged message ids from Dramatiq's own set
(``unacked_key``) and puts them back with the broker's ``requeue`` script (``do_requeue``).
Everything else (the limiter's slots, the consumer it wraps) goes through public API.
"""

from __future__ import annotations

from collections.abc import Iterator

import dramatiq
import pytest
import redis

from actors.broker import RecoveringRedisBroker
from gitbrag.jobs.lifecycle import DRAMATIQ_NAMESPACE

QUEUE = "seam"


@pytest.fixture
def broker(redis_url: str) -> Iterator[RecoveringRedisBroker]:
    made = RecoveringRedisBroker(
        client=redis.Redis.from_url(redis_url), namespace=DRAMATIQ_NAMESPACE
    )
    made.declare_queue(QUEUE)
    try:
        yield made
    finally:
        made.close()


def test_a_fetched_message_is_in_the_unacked_set_and_requeue_puts_it_back(
    broker: RecoveringRedisBroker, redis_client: redis.Redis
) -> None:
    message = dramatiq.Message(queue_name=QUEUE, actor_name="a", args=(), kwargs={}, options={})
    broker.enqueue(message)
    consumer = broker.consume(QUEUE, prefetch=1, timeout=100)
    fetched = next(consumer)
    assert fetched is not None and fetched.message_id == message.message_id
    unacked = broker.unacked_key(QUEUE)
    (held,) = redis_client.smembers(unacked)
    assert held.decode() == fetched.options["redis_message_id"]
    assert redis_client.llen(f"{DRAMATIQ_NAMESPACE}:{QUEUE}") == 0

    broker.do_requeue(QUEUE, held.decode())

    assert not redis_client.smembers(unacked)
    assert redis_client.llen(f"{DRAMATIQ_NAMESPACE}:{QUEUE}") == 1
    consumer.close()
