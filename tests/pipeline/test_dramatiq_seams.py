"""Where gitbrag leans on Dramatiq beyond its public API, pinned so that an upgrade changing
it fails here, loudly, rather than in a Redis outage.

``actors.broker.RecoveringRedisBroker`` requeues the delayed messages a consumer dropped when
it lost Redis: it reads the consumer's unacknowledged message ids from Dramatiq's own set
(``unacked_key``) and puts them back with the broker's ``requeue`` script (``do_requeue``).
Everything else (the limiter's slots, the consumer it wraps) goes through public API.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import dramatiq
import pytest
import redis
from dramatiq import Consumer
from dramatiq.broker import MessageProxy

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


def _next_message(consumer: Consumer) -> MessageProxy:
    for _ in range(50):
        message = next(consumer)
        if message is not None:
            return message
    raise AssertionError("no message fetched")


def test_a_message_whose_acknowledgement_a_failover_lost_is_delivered_again(
    redis_url: str, redis_client: redis.Redis
) -> None:
    """The state a failover leaves when the old primary took a worker's acknowledgement (after
    the job ran, or when the limiter sent the message on to the delay queue) that never
    reached the replica: the promoted replica still has the message in this live worker's
    unacknowledged set, where no maintenance pass looks (chaos case 7 found such a job
    ``queued`` forever). Here the set and the message are put back as the replica had them;
    once the switch is a hold-back past, the consumer puts back on the queue what this
    process no longer holds, and leaves alone what it still runs. This leans on one more
    Dramatiq detail: every broker command goes through ``_dispatch(command)(queue, *args)``
    (``fetch`` returns the encoded messages; ``ack``, ``nack`` and ``requeue`` take ids)."""
    broker = RecoveringRedisBroker(
        client=redis.Redis.from_url(redis_url), namespace=DRAMATIQ_NAMESPACE, heartbeat_timeout=300
    )
    broker.declare_queue(QUEUE)
    try:
        for _ in range(2):
            broker.enqueue(
                dramatiq.Message(queue_name=QUEUE, actor_name="a", args=(), kwargs={}, options={})
            )
        consumer = broker.consume(QUEUE, prefetch=2, timeout=100)
        done, running = _next_message(consumer), _next_message(consumer)
        unacked = broker.unacked_key(QUEUE)
        messages = f"{DRAMATIQ_NAMESPACE}:{QUEUE}.msgs"
        on_the_replica = redis_client.smembers(unacked), redis_client.hgetall(messages)
        assert len(on_the_replica[0]) == 2

        consumer.ack(done)  # on the old primary, lost with it:
        redis_client.sadd(unacked, *on_the_replica[0])
        redis_client.hset(messages, mapping=on_the_replica[1])
        broker.note_outage()  # the Sentinels' switch (or a connection error) is noticed

        assert next(consumer) is None  # within the hold-back: nothing moves yet
        assert redis_client.llen(f"{DRAMATIQ_NAMESPACE}:{QUEUE}") == 0
        time.sleep(0.4)
        again = _next_message(consumer)
        assert again.message_id == done.message_id
        assert {member.decode() for member in redis_client.smembers(unacked)} == {
            again.options["redis_message_id"],
            running.options["redis_message_id"],
        }
        consumer.ack(again)
        consumer.ack(running)
        assert not redis_client.smembers(unacked)
        consumer.close()
    finally:
        broker.close()
