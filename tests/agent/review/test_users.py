"""Accounts and roles, on SQLite and PostgreSQL, and the `recap users` commands."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from agent.errors import RecapError
from agent.review._users import AccessDenied, add_user, allows, authorize, list_users, remove_user
from agent.store import Store
from recap.main import app

runner = CliRunner()


@pytest.fixture
def store(db_url: str) -> Store:
    s = Store(db_url)
    yield s
    s.close()


def test_accounts_are_found_case_insensitively_and_keep_nothing_to_sign_in_with(
    store: Store,
) -> None:
    user, what = add_user(store, "  Ann@Example.COM ", "Reviewer", by="admin1")
    assert what == "added" and user.email == "ann@example.com" and user.role == "reviewer"
    assert authorize(store, "ANN@example.com").reviewer == "ann@example.com"
    assert add_user(store, "ann@example.com", "reviewer")[1] == "unchanged"
    assert add_user(store, "ann@example.com", "lead")[1] == "updated"
    assert store.users.get("ann@example.com").role == "lead"
    columns = set(store.users.get("ann@example.com").__table__.columns.keys())
    assert columns == {"email", "role", "added_by", "created_at", "updated_at", "revoked_at"}


def test_roles_nest_admin_lead_reviewer(store: Store) -> None:
    add_user(store, "rev@example.com", "reviewer")
    add_user(store, "lead@example.com", "lead")
    add_user(store, "boss@example.com", "admin")
    assert authorize(store, "lead@example.com", "lead").role == "lead"
    assert authorize(store, "boss@example.com", "lead").role == "admin"
    with pytest.raises(AccessDenied, match="for leads"):
        authorize(store, "rev@example.com", "lead")
    with pytest.raises(AccessDenied, match="for admins"):
        authorize(store, "lead@example.com", "admin")
    assert [allows(r, "lead") for r in ("reviewer", "lead", "admin")] == [False, True, True]


def test_removed_accounts_are_refused_kept_and_restorable(store: Store) -> None:
    add_user(store, "bob@example.com", "reviewer")
    remove_user(store, "BOB@example.com")
    with pytest.raises(AccessDenied, match="not a recap user"):
        authorize(store, "bob@example.com")
    assert list_users(store) == []
    assert [u.email for u in list_users(store, revoked=True)] == ["bob@example.com"]
    with pytest.raises(RecapError, match="not an active recap user"):
        remove_user(store, "bob@example.com")
    assert add_user(store, "bob@example.com", "lead")[1] == "restored"
    assert authorize(store, "bob@example.com", "lead").role == "lead"


def test_unknown_missing_and_malformed_addresses_are_refused_with_the_reason(
    store: Store,
) -> None:
    with pytest.raises(AccessDenied, match=r"stranger@example\.com is not a recap user") as e:
        authorize(store, "stranger@example.com")
    assert "recap users add stranger@example.com" in (e.value.hint or "")
    with pytest.raises(AccessDenied, match="did not say which e-mail"):
        authorize(store, None)
    with pytest.raises(AccessDenied, match="not an e-mail address"):
        authorize(store, "[x](http://evil)")
    with pytest.raises(RecapError, match="'bob' is not an e-mail address"):
        add_user(store, "bob", "reviewer")
    with pytest.raises(RecapError, match="Unknown role 'boss'"):
        add_user(store, "bob@example.com", "boss")


def test_users_commands(tmp_path) -> None:
    db = str(tmp_path / "u.db")
    r = runner.invoke(app, ["users", "add", "Lee@Example.com", "--role", "lead", "--db", db])
    assert r.exit_code == 0 and "added: lee@example.com (lead)" in r.output
    r = runner.invoke(app, ["users", "add", "ann@example.com", "--db", db])
    assert "added: ann@example.com (reviewer)" in r.output
    r = runner.invoke(app, ["users", "remove", "ann@example.com", "--db", db])
    assert r.exit_code == 0 and "removed: ann@example.com" in r.output
    listed = runner.invoke(app, ["users", "list", "--db", db], env={"COLUMNS": "160"}).output
    assert "lee@example.com" in listed and "ann@example.com" not in listed
    listed = runner.invoke(app, ["users", "list", "--all", "--db", db], env={"COLUMNS": "160"})
    assert "ann@example.com" in listed.output
    r = runner.invoke(app, ["users", "add", "x@y.z", "--role", "owner", "--db", db])
    assert r.exit_code == 1 and "Unknown role 'owner'" in r.output
    assert "Traceback" not in r.output


# --- sign-in claims (issue 21 item 3 and 7) ----------------------------------------------------
def claims(email: str, **more: object) -> dict[str, object]:
    return {"email": email, "email_verified": True, "iat": 1_000_000.0} | more


@pytest.mark.parametrize("verified", ["false", "true", 0, 1, None, "yes", [True]])
def test_only_email_verified_exactly_true_signs_in(store: Store, verified: object) -> None:
    from agent.review._users import UNVERIFIED, authorize_sign_in

    add_user(store, "ann@example.com", "reviewer")
    given = claims("ann@example.com", email_verified=verified)
    with pytest.raises(AccessDenied) as refused:
        authorize_sign_in(store, given, lifetime_s=3600, now=1_000_010.0)
    assert refused.value.message == UNVERIFIED
    absent = {k: v for k, v in claims("ann@example.com").items() if k != "email_verified"}
    with pytest.raises(AccessDenied, match="has not verified"):
        authorize_sign_in(store, absent, lifetime_s=3600, now=1_000_010.0)
    person = authorize_sign_in(store, claims("ann@example.com"), lifetime_s=3600, now=1_000_010.0)
    assert person.reviewer == "ann@example.com"


def test_a_sign_in_lasts_the_session_lifetime_from_when_the_provider_issued_it(
    store: Store,
) -> None:
    from agent.review._users import EXPIRED, authorize_sign_in

    add_user(store, "ann@example.com", "reviewer")
    ok = claims("ann@example.com")
    assert authorize_sign_in(store, ok, lifetime_s=12 * 3600, now=1_000_000.0 + 12 * 3600)
    for given, now in (
        (ok, 1_000_000.0 + 12 * 3600 + 1),  # one second too late
        (claims("ann@example.com", iat=978_307_200), 1_000_000.0),  # a token from 2001
        (claims("ann@example.com", iat=None), 1_000_000.0),
        (claims("ann@example.com", iat="1000000"), 1_000_000.0),
        (claims("ann@example.com", iat=1_000_000.0 + 3600), 1_000_000.0),  # from the future
    ):
        with pytest.raises(AccessDenied) as refused:
            authorize_sign_in(store, given, lifetime_s=12 * 3600, now=now)
        assert refused.value.message == EXPIRED


def test_addresses_are_compared_after_nfkc_and_case_folding(store: Store) -> None:
    add_user(store, "kim@example.com", "reviewer")
    add_user(store, "strasse@example.com", "lead")
    kelvin = "\u212aim@example.com"  # KELVIN SIGN, which NFKC makes a K
    assert authorize(store, kelvin).reviewer == "kim@example.com"
    assert authorize(store, "ｋｉｍ@ｅｘａｍｐｌｅ.ｃｏｍ").reviewer == "kim@example.com"
    assert authorize(store, "STRASSE@example.com", "lead").reviewer == "strasse@example.com"
    assert authorize(store, "Straße@example.com", "lead").reviewer == "strasse@example.com"
    assert add_user(store, "\u212aIM@Example.com", "reviewer")[1] == "unchanged"
    with pytest.raises(AccessDenied, match=r"kin@example\.com is not a recap user"):
        authorize(store, "kin@example.com")


def test_an_account_an_older_release_kept_lower_cased_is_still_found(store: Store) -> None:
    from agent.store import User

    store.users.save(User(email="straße@example.com", role="reviewer", added_by=None))
    assert authorize(store, "STRASSE@example.com").reviewer == "straße@example.com"


def test_recap_users_prints_addresses_as_text(tmp_path) -> None:
    db = str(tmp_path / "u.db")
    r = runner.invoke(app, ["users", "add", "[a]b@x.org", "--db", db])
    assert r.exit_code == 0 and "added: [a]b@x.org (reviewer)" in r.output
    listed = runner.invoke(app, ["users", "list", "--db", db], env={"COLUMNS": "160"}).output
    assert "[a]b@x.org" in listed
    r = runner.invoke(app, ["users", "remove", "[a]b@x.org", "--db", db])
    assert "removed: [a]b@x.org" in r.output
