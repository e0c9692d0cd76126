"""Admins manage the tenant's API keys: a new key is shown once and works; the list shows its first characters and
the day it was last used, never the key; a revoked key is refused once the authorizer's cache of it expires; another
tenant's key cannot be revoked."""

from __future__ import annotations

import datetime as dt

from tests.support.tenants import make_tenant


def test_a_key_is_created_shown_once_used_listed_and_revoked(tenant, stack):
    admin = tenant.reviewer("admin")
    created = admin.post("/v1/admin/api-keys", json={"label": "checkout integration"})
    assert created.status_code == 201, created.text
    assert created.headers.get("Cache-Control") == "no-store"
    body = created.json()
    key = body["key"]
    assert key.startswith(body["prefix"])
    assert (body["label"], body["revoked"], body["last_used_on"]) == ("checkout integration", False, None)

    assert tenant.api(key=key).get("/v1/workflows").status_code == 200
    listed = {k["id"]: k for k in admin.get("/v1/admin/api-keys").json()["items"]}
    mine = listed[body["id"]]
    assert "key" not in mine
    assert mine["last_used_on"] == dt.datetime.now(dt.UTC).date().isoformat()
    assert key not in admin.get("/v1/admin/api-keys").text

    other = make_tenant(stack)
    assert other.reviewer("admin").delete(f"/v1/admin/api-keys/{body['id']}").status_code == 404
    assert tenant.reviewer("reviewer").delete(f"/v1/admin/api-keys/{body['id']}").status_code == 403
    revoked = admin.delete(f"/v1/admin/api-keys/{body['id']}")
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["revoked"] is True
    # A used key stays valid for the authorizer's cache time (AuthorizerCacheSeconds); one it never verified is
    # refused at once.
    unused = admin.post("/v1/admin/api-keys", json={}).json()
    assert admin.delete(f"/v1/admin/api-keys/{unused['id']}").status_code == 200
    assert tenant.api(key=unused["key"]).get("/v1/workflows").status_code == 401
    assert tenant.api().get("/v1/workflows").status_code == 200  # the tenant's other keys still work
    assert admin.delete("/v1/admin/api-keys/nope").status_code == 404
