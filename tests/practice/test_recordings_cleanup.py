"""A deleted user's recordings go only once the transaction that deleted the user commits."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI

from greenroom.practice.storage import LocalStorage, user_folder
from greenroom.tenancy.context import OrgSnapshot, Tenant
from greenroom.tenancy.hosts import Environment
from greenroom.tenancy.models import Organization
from greenroom.users import service as users
from greenroom.users.models import User
from tests.factories import make_org
from tests.practice.helpers import WEBM, make_user


def _tenant(org: Organization) -> Tenant:
    return Tenant(OrgSnapshot.of(org), Environment.PRODUCTION)


def _recording(app: FastAPI, org: Organization, user: User) -> Path:
    storage = app.state.storage
    key = storage.save(user_folder(org.id, user.environment, user.partner_id), "webm", WEBM)
    path: Path = storage.path(key)
    return path


async def test_a_delete_that_rolls_back_keeps_the_recordings(app, api_for) -> None:
    org = await make_org(app)
    user = await make_user(app, org)
    recording = _recording(app, org, user)
    with pytest.raises(RuntimeError):
        async with app.state.sessionmaker() as session, session.begin():
            await users.delete_user(session, _tenant(org), user.partner_id)
            raise RuntimeError("a later step of the transaction fails")
    assert recording.exists()
    api = await api_for(org)
    assert (await api.get(f"/api/users/{user.partner_id}")).status_code == 200
    assert (await api.delete(f"/api/users/{user.partner_id}")).status_code == 204
    assert not recording.exists()


@pytest.mark.parametrize("end", ["rollback", "close"])
async def test_a_delete_never_committed_is_not_done_by_a_later_commit(app, end: str) -> None:
    org = await make_org(app)
    user = await make_user(app, org)
    recording = _recording(app, org, user)
    async with app.state.sessionmaker() as session:
        await users.delete_user(session, _tenant(org), user.partner_id)
        await (session.rollback() if end == "rollback" else session.close())
        await users.get_user(session, _tenant(org), user.partner_id)
        await session.commit()
    assert recording.exists()


async def test_savepoints_neither_delete_early_nor_keep_a_rolled_back_delete(app) -> None:
    org = await make_org(app)
    kept, gone = await make_user(app, org), await make_user(app, org)
    kept_file, gone_file = _recording(app, org, kept), _recording(app, org, gone)
    async with app.state.sessionmaker() as session, session.begin():
        await users.delete_user(session, _tenant(org), gone.partner_id)
        with pytest.raises(RuntimeError):
            async with session.begin_nested():
                await users.delete_user(session, _tenant(org), kept.partner_id)
                raise RuntimeError("undo this one")
        async with session.begin_nested():  # releasing a savepoint is not the commit
            pass
        assert gone_file.exists()
    assert kept_file.exists()
    assert not gone_file.exists()


async def test_files_that_cannot_be_deleted_do_not_fail_the_delete(
    app, api_for, monkeypatch, caplog
) -> None:
    org = await make_org(app)
    user = await make_user(app, org)
    recording = _recording(app, org, user)

    def refuse(_storage: LocalStorage, folder: str) -> None:
        raise PermissionError(f"cannot remove {folder}")

    # On the class: other apps made in this process subscribed storages of their own.
    monkeypatch.setattr(LocalStorage, "delete_folder", refuse)
    api = await api_for(org)
    assert (await api.delete(f"/api/users/{user.partner_id}")).status_code == 204
    assert (await api.get(f"/api/users/{user.partner_id}")).status_code == 404
    assert recording.exists()
    warnings = [r for r in caplog.records if r.name == "greenroom.practice"]
    assert warnings
    assert all(r.levelname == "WARNING" and r.error == "PermissionError" for r in warnings)
