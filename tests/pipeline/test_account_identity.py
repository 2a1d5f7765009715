"""A login names a GitHub account only for now: the stores against a real Redis.

Two accounts holding one login one after the other (a rename released it, someone else took
it): the login's holder, the former holder's reports (dropped, or never served), curation by
account (and the migration of curation keyed by login), the web's one read, admin pins."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, date, datetime

import pytest
import redis

from gitbrag.report.curation import Curation
from gitbrag.report.keys import ReportKey
from gitbrag.report.models import Report
from gitbrag.report.periods import DateRange
from gitbrag.settings import Settings
from gitbrag.stores.accounts import AccountStore
from gitbrag.stores.admin_pins import AdminRights
from gitbrag.stores.connection import key_prefix
from gitbrag.stores.curation import CurationStore, account_owner
from gitbrag.stores.reports import PutOutcome, ReportStore, holder_key, login_reports_key
from gitbrag.stores.serving import ServingStore, ViewQuery, ViewState
from tests.pipeline.reports_for_tests import empty_report

FORMER, HOLDER = 1001, 2002  # the account that held "octo_acme", and the one holding it now
LOGIN = "octo_acme"
NS = key_prefix(None)  # a plain client (the tests'): the default namespace
PERIODS = ("1_year", "2_years", "all_time")
CUSTOM = ReportKey(LOGIN, DateRange(date(2024, 1, 1), date(2024, 6, 30)))


def key(period: str = "1_year", login: str = LOGIN) -> ReportKey:
    return ReportKey(login, DateRange.for_period(period))  # type: ignore[arg-type]


def report_of(account: int | None, report_key: ReportKey, **kwargs: object) -> Report:
    report = empty_report(report_key, **kwargs)  # type: ignore[arg-type]
    return report.model_copy(update={"user": report.user.model_copy(update={"id": account})})


@pytest.fixture
def reports(redis_client: redis.Redis) -> ReportStore:
    return ReportStore(redis_client, retention_seconds=3600, not_found_ttl=60)


@pytest.fixture
def accounts(redis_client: redis.Redis) -> AccountStore:
    return AccountStore(redis_client, ttl_seconds=3600)


def read(redis_url: str, *queries: ViewQuery) -> list[ViewState]:
    async def scenario() -> list[ViewState]:
        store = ServingStore(
            Settings(redis_url=redis_url), retention_seconds=3600, view_window_days=7
        )
        try:
            return await store.read(list(queries))
        finally:
            await store.aclose()

    return asyncio.run(scenario())


def test_a_generation_records_the_holder_and_a_new_holder_replaces_every_period(
    reports: ReportStore, accounts: AccountStore, redis_client: redis.Redis
) -> None:
    for period in PERIODS:
        assert reports.put(key(period), report_of(FORMER, key(period))) is PutOutcome.STORED
    assert reports.put(CUSTOM, report_of(FORMER, CUSTOM))
    assert accounts.holder("Octo_Acme") == FORMER
    assert redis_client.scard(login_reports_key(NS, LOGIN)) == len(PERIODS) + 1

    # The new holder's first report (one period): the former holder's go, every period.
    assert reports.put(key("2_years"), report_of(HOLDER, key("2_years"))) is PutOutcome.STORED
    assert accounts.holder(LOGIN) == HOLDER
    for gone in (key("1_year"), key("all_time"), CUSTOM):
        assert not reports.exists(gone)
        assert reports.get(gone) is None
    stored = reports.get(key("2_years"))
    assert stored is not None and stored.report.user.id == HOLDER
    members = {member.decode() for member in redis_client.smembers(login_reports_key(NS, LOGIN))}
    assert members == {str(key("2_years"))}


def test_an_older_answer_never_takes_the_login_back(
    reports: ReportStore, accounts: AccountStore
) -> None:
    """A generation that read the profile before the new holder logged in finishes after:
    its report is not kept, and the login stays the new holder's."""
    started = datetime.now(UTC).timestamp()
    assert reports.put(key(), report_of(FORMER, key()), seen_at=started - 60)
    assert accounts.saw(LOGIN, HOLDER, seen_at=started) == HOLDER
    assert not reports.exists(key())  # the change of hands dropped the former's report
    late = reports.put(key("2_years"), report_of(FORMER, key("2_years")), seen_at=started - 1)
    assert late is PutOutcome.OTHER_HOLDER and not late
    assert not reports.exists(key("2_years"))
    assert accounts.holder(LOGIN) == HOLDER
    # A later answer for the former account (it took the login back) wins again.
    assert accounts.saw(LOGIN, FORMER, seen_at=started + 1) == FORMER


def test_a_former_holders_report_left_behind_is_never_served(
    reports: ReportStore, accounts: AccountStore, redis_client: redis.Redis, redis_url: str
) -> None:
    """The index of the login's reports expired before the change of hands (say): the
    former holder's report is still stored, but neither ``get`` nor the web's read serves
    it, and a job asked for in its place says which version it saw."""
    assert reports.put(key(), report_of(FORMER, key()))
    redis_client.delete(login_reports_key(NS, LOGIN))
    accounts.saw(LOGIN, HOLDER)
    assert reports.exists(key())
    assert reports.get(key()) is None
    (state,) = read(redis_url, ViewQuery(str(key()), artifact="b:page", want_json="always"))
    assert state.meta is None and state.report_json is None and state.body is None
    stored_version = redis_client.hget(reports.redis_key(key()), "version")
    assert stored_version is not None and state.hidden_version == stored_version.decode()


def test_reports_from_before_account_ids_are_served_as_before(
    reports: ReportStore, accounts: AccountStore, redis_url: str
) -> None:
    assert reports.put(key(), report_of(None, key()))
    accounts.saw(LOGIN, HOLDER)
    stored = reports.get(key())
    assert stored is not None and stored.report.user.id is None
    (state,) = read(redis_url, ViewQuery(str(key())))
    assert state.meta is not None and state.hidden_version is None
    # Its regeneration for the holder replaces it like any new version.
    assert reports.put(key(), report_of(HOLDER, key()))
    again = reports.get(key())
    assert again is not None and again.report.user.id == HOLDER


def test_dropping_a_login_takes_every_report_indexed_or_preset(
    reports: ReportStore, redis_client: redis.Redis
) -> None:
    assert reports.put(CUSTOM, report_of(FORMER, CUSTOM))
    assert reports.put(key("5_years"), report_of(FORMER, key("5_years")))
    closed = ReportKey(LOGIN, DateRange.for_period("1_year"), include_closed=True)
    # Stored before the index existed: only its key names it.
    redis_client.hset(reports.redis_key(closed), mapping={"version": "v", "json": "{}"})
    other = key(login="octocat")
    assert reports.put(other, report_of(7, other))
    reports.drop_login("Octo_Acme")
    for gone in (CUSTOM, key("5_years"), closed):
        assert not reports.exists(gone)
    assert not redis_client.exists(login_reports_key(NS, LOGIN))
    assert reports.exists(other)


def test_curation_belongs_to_the_account_and_login_keyed_curation_is_adopted_once(
    reports: ReportStore, accounts: AccountStore, redis_client: redis.Redis, redis_url: str
) -> None:
    curations = CurationStore(redis_client)
    # Made before account ids: keyed by the login, with a change to undo.
    curations.change(LOGIN, lambda c: c.hide_repository("octo_acme/dotfiles"))
    before = curations.change(LOGIN, lambda c: c.pin("octo_acme/tool#3"))
    assert reports.put(key(), report_of(None, key()))
    (state,) = read(redis_url, ViewQuery(str(key()), want_json="always"))
    assert state.meta is not None and state.meta.version.endswith("." + before.version)

    # The first time GitHub says who holds the login, the curation becomes that account's.
    accounts.saw(LOGIN, FORMER)
    assert curations.get(account_owner(FORMER)) == before
    assert curations.can_undo(account_owner(FORMER))
    assert curations.get(LOGIN) == Curation() and not curations.can_undo(LOGIN)
    (state,) = read(redis_url, ViewQuery(str(key()), want_json="always"))
    assert state.meta is not None and state.meta.version.endswith("." + before.version)

    # The login changes hands: the new holder's report shows none of it, and the new
    # holder's own choices never touch the former account's.
    assert reports.put(key(), report_of(HOLDER, key()))
    (state,) = read(redis_url, ViewQuery(str(key()), want_json="always"))
    assert state.meta is not None and state.meta.version.endswith(".0")
    assert state.curation_json is None
    mine = curations.change(account_owner(HOLDER), lambda c: c.hide_repository("octo_acme/x"))
    (state,) = read(redis_url, ViewQuery(str(key()), want_json="always"))
    assert state.meta is not None and state.meta.version.endswith("." + mine.version)
    assert state.curation_json is not None
    assert Curation.model_validate_json(state.curation_json) == mine
    assert curations.get(account_owner(FORMER)) == before


def test_renderings_never_land_beside_a_former_holders_report(
    reports: ReportStore, accounts: AccountStore, redis_client: redis.Redis, redis_url: str
) -> None:
    assert reports.put(key(), report_of(FORMER, key()))
    (state,) = read(redis_url, ViewQuery(str(key()), artifact="b:page", want_json="fallback"))
    assert state.meta is not None
    version = state.meta.version
    redis_client.delete(login_reports_key(NS, LOGIN))  # so the report stays behind, unserved
    accounts.saw(LOGIN, HOLDER)

    async def keep() -> bool:
        store = ServingStore(
            Settings(redis_url=redis_url), retention_seconds=3600, view_window_days=7
        )
        try:
            return await store.put_artifacts(str(key()), version, {"art:0:b:page": b"<old>"})
        finally:
            await store.aclose()

    assert not asyncio.run(keep())
    assert redis_client.hget(reports.redis_key(key()), "art:0:b:page") is None


def test_an_account_holding_a_login_ends_its_no_such_user_answer(
    reports: ReportStore, accounts: AccountStore
) -> None:
    """A rename freed the login (GitHub said 404) and another account registered it: the
    next answer naming an account ends the marker. A private profile's answer stays."""
    reports.mark_unknown_user(LOGIN)
    accounts.saw(LOGIN, HOLDER)
    assert reports.unknown_user_reason(LOGIN) is None
    reports.mark_unknown_user(LOGIN, "private_profile")
    accounts.saw(LOGIN, HOLDER)
    assert reports.unknown_user_reason(LOGIN) == "private_profile"
    other = key(login="-jerry-")
    reports.mark_unknown_user("-jerry-")
    assert reports.put(other, report_of(HOLDER + 1, other))
    assert reports.unknown_user_reason("-jerry-") is None


def test_views_keep_the_logins_index_and_holder_as_long_as_its_reports(
    reports: ReportStore, redis_client: redis.Redis, redis_url: str
) -> None:
    assert reports.put(key(), report_of(FORMER, key()))
    for name in (login_reports_key(NS, LOGIN), holder_key(NS, LOGIN)):
        redis_client.expire(name, 10)

    async def view() -> None:
        store = ServingStore(
            Settings(redis_url=redis_url), retention_seconds=3600, view_window_days=7
        )
        try:
            await store.record_views({str(key()): 1})
        finally:
            await store.aclose()

    asyncio.run(view())
    for name in (login_reports_key(NS, LOGIN), holder_key(NS, LOGIN)):
        assert redis_client.ttl(name) > 10


def test_a_bare_admin_login_is_pinned_to_the_first_account(
    redis_client: redis.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    rights = AdminRights(redis_client, {"octo_acme": None, "-jerry-": 555})
    assert not rights.is_admin(LOGIN, FORMER)  # nobody seen yet: nobody pinned
    with caplog.at_level(logging.INFO, logger="gitbrag.stores.admin_pins"):
        rights.observe("Octo_Acme", FORMER)
        rights.observe("octo_acme", FORMER)
        rights.observe("octo_acme", HOLDER)
    infos = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert infos == ["admin login octo_acme pinned to GitHub account 1001"]  # logged once
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "account 2002" in warnings[0]
    assert rights.is_admin("Octo_Acme", FORMER)
    assert not rights.is_admin("octo_acme", HOLDER)
    assert not rights.is_admin("octo_acme", None)
    # Another process (a fresh object) reads the same pin.
    again = AdminRights(redis_client, {"octo_acme": None})
    assert again.is_admin("octo_acme", FORMER) and not again.is_admin("octo_acme", HOLDER)
    # ``login:id`` names the account outright, whoever logs in first.
    rights.observe("-jerry-", 777)
    assert rights.is_admin("-Jerry-", 555) and not rights.is_admin("-jerry-", 777)
    assert not rights.is_admin("someone", 555) and not rights.named("someone")
