"""HTTP handlers of the tenants package: the caller's tenant, its API keys and its users."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_204_NO_CONTENT

from hub.core.ids import path_id
from tenants import service, users
from tenants.guards import action, principal_of, requires
from tenants.roles import Permission
from tenants.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyRead, TenantRead, UserRead


class TenantController(Controller):
    path = "/v1/tenant"
    tags = ["tenant"]
    opt = requires(Permission.READ)

    @get(operation_id="GetTenant")
    async def get_tenant(self, request: Request[Any, Any, Any]) -> TenantRead:
        return await service.get_tenant(principal_of(request).tenant_id)


class ApiKeyController(Controller):
    path = "/v1/api-keys"
    tags = ["tenant"]
    opt = requires(Permission.MANAGE)

    @post(operation_id="CreateApiKey")
    async def create(self, request: Request[Any, Any, Any], data: JSONBody[ApiKeyCreate]) -> ApiKeyCreated:
        """A key no stronger than the caller's own role: the caller's (default), another user's
        (``user_id``, owners only) or an integration's (``kind: integration``, which never approves)."""
        return await service.mint_api_key(principal_of(request), data)

    @get(operation_id="ListApiKeys")
    async def list(self, request: Request[Any, Any, Any]) -> list[ApiKeyRead]:
        return await service.list_api_keys(principal_of(request).tenant_id)

    @post("/{key_id:str}/revoke", operation_id="RevokeApiKey", status_code=HTTP_204_NO_CONTENT)
    async def revoke(self, request: Request[Any, Any, Any], key_id: FromPath[str]) -> None:
        parsed = path_id(key_id, "no such API key")
        await service.revoke_api_key(principal_of(request).tenant_id, parsed)


class UserController(Controller):
    path = "/v1/users"
    tags = ["tenant"]
    opt = requires(Permission.MANAGE)

    @get(operation_id="ListUsers")
    async def list(self, request: Request[Any, Any, Any]) -> list[UserRead]:
        return await users.list_users(principal_of(request).tenant_id)

    @action("/{user_id:str}/disable", operation_id="DisableUser", permission=Permission.MANAGE)
    async def disable(self, request: Request[Any, Any, Any], user_id: FromPath[str]) -> UserRead:
        """Signs the user out of every console session and stops their API keys."""
        principal = principal_of(request)
        return await users.set_disabled(principal, principal.tenant_id, path_id(user_id, "no such user"), disabled=True)

    @action("/{user_id:str}/enable", operation_id="EnableUser", permission=Permission.MANAGE)
    async def enable(self, request: Request[Any, Any, Any], user_id: FromPath[str]) -> UserRead:
        principal = principal_of(request)
        return await users.set_disabled(
            principal, principal.tenant_id, path_id(user_id, "no such user"), disabled=False
        )
