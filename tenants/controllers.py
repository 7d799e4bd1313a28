"""HTTP handlers of the tenants package: the caller's tenant and its API keys."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_204_NO_CONTENT

from hub.auth import principal_of, requires
from hub.core.ids import path_id
from tenants import service
from tenants.roles import Permission
from tenants.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyRead, TenantRead


class TenantController(Controller):
    path = "/v1/tenant"
    tags = ["tenant"]
    guards = [requires(Permission.READ)]

    @get(operation_id="GetTenant")
    async def get_tenant(self, request: Request[Any, Any, Any]) -> TenantRead:
        return await service.get_tenant(principal_of(request).tenant_id)


class ApiKeyController(Controller):
    path = "/v1/api-keys"
    tags = ["tenant"]
    guards = [requires(Permission.MANAGE)]

    @post(operation_id="CreateApiKey")
    async def create(self, request: Request[Any, Any, Any], data: JSONBody[ApiKeyCreate]) -> ApiKeyCreated:
        return await service.create_api_key(principal_of(request).tenant_id, data.role, data.name)

    @get(operation_id="ListApiKeys")
    async def list(self, request: Request[Any, Any, Any]) -> list[ApiKeyRead]:
        return await service.list_api_keys(principal_of(request).tenant_id)

    @post("/{key_id:str}/revoke", operation_id="RevokeApiKey", status_code=HTTP_204_NO_CONTENT)
    async def revoke(self, request: Request[Any, Any, Any], key_id: FromPath[str]) -> None:
        parsed = path_id(key_id, "no such API key")
        await service.revoke_api_key(principal_of(request).tenant_id, parsed)
