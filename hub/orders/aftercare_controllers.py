"""HTTP handlers for aftercare: clerk work items (exceptions, customs holds, complaints) and returns."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath, HeaderParameter, JSONBody, QueryParameter
from litestar.types import ControllerRouterHandler

from hub.core.idempotency import run_idempotent
from hub.core.ids import path_id
from hub.core.pagination import Page
from hub.orders import returns, work_items
from tenants.guards import action, principal_of, requires
from tenants.roles import Permission

IdempotencyKey = Annotated[str | None, HeaderParameter(name="Idempotency-Key", required=False)]
Query = Annotated[str | None, QueryParameter(max_length=200)]


class WorkItemController(Controller):
    path = "/v1/work-items"
    tags = ["work items"]
    opt = requires(Permission.READ)

    @get(operation_id="ListWorkItems")
    async def index(
        self,
        request: Request[Any, Any, Any],
        status: Query = None,
        kind: Query = None,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
        cursor: Query = None,
    ) -> Page[work_items.WorkItemRead]:
        """The clerk's queue, oldest due first; ``status`` and ``kind`` take comma-separated values."""
        return await work_items.list_items(
            principal_of(request).tenant_id, status=status, kind=kind, limit=limit, cursor=cursor
        )

    @post(operation_id="CreateWorkItem", opt=requires(Permission.WRITE))
    async def create(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[work_items.WorkItemCreate],
        idempotency_key: IdempotencyKey = None,
    ) -> work_items.WorkItemRead:
        """Open an item by hand (a quality complaint, a buyer's call); due by the kind's SLA."""
        principal = principal_of(request)
        return await run_idempotent(
            principal.tenant_id,
            idempotency_key,
            "work_items.create",
            data,
            work_items.WorkItemRead,
            lambda: work_items.create(principal, data),
        )

    @get("/{item_id:str}", operation_id="GetWorkItem")
    async def show(self, request: Request[Any, Any, Any], item_id: FromPath[str]) -> work_items.WorkItemRead:
        return await work_items.get(principal_of(request).tenant_id, path_id(item_id, "no such work item"))

    @action("/{item_id:str}/assign", operation_id="AssignWorkItem", permission=Permission.WRITE)
    async def assign(
        self, request: Request[Any, Any, Any], item_id: FromPath[str], data: JSONBody[work_items.WorkItemAssign]
    ) -> work_items.WorkItemRead:
        """Take the item (empty ``assignee``: the caller) or hand it to someone; it is then in progress."""
        return await work_items.assign(principal_of(request), path_id(item_id, "no such work item"), data)

    @action("/{item_id:str}/resolve", operation_id="ResolveWorkItem", permission=Permission.WRITE)
    async def resolve(
        self, request: Request[Any, Any, Any], item_id: FromPath[str], data: JSONBody[work_items.WorkItemResolve]
    ) -> work_items.WorkItemRead:
        return await work_items.resolve(principal_of(request), path_id(item_id, "no such work item"), data)


class OrderReturnController(Controller):
    path = "/v1/orders/{order_id:str}/returns"
    tags = ["returns"]
    opt = requires(Permission.READ)

    @post(operation_id="RequestReturn", opt=requires(Permission.WRITE))
    async def create(
        self,
        request: Request[Any, Any, Any],
        order_id: FromPath[str],
        data: JSONBody[returns.ReturnCreate],
        idempotency_key: IdempotencyKey = None,
    ) -> returns.ReturnRead:
        """Request a return of shipped lines; the order becomes ``return_requested``."""
        principal = principal_of(request)
        order = path_id(order_id, "no such order")
        return await run_idempotent(
            principal.tenant_id,
            idempotency_key,
            f"returns.create:{order}",
            data,
            returns.ReturnRead,
            lambda: returns.request_return(principal, order, data),
        )

    @get(operation_id="ListOrderReturns")
    async def index(self, request: Request[Any, Any, Any], order_id: FromPath[str]) -> list[returns.ReturnRead]:
        return await returns.list_for_order(principal_of(request).tenant_id, path_id(order_id, "no such order"))


class ReturnController(Controller):
    path = "/v1/returns"
    tags = ["returns"]
    opt = requires(Permission.READ)

    @get("/{return_id:str}", operation_id="GetReturn")
    async def show(self, request: Request[Any, Any, Any], return_id: FromPath[str]) -> returns.ReturnRead:
        return await returns.get(principal_of(request).tenant_id, path_id(return_id, "no such return"))

    @action("/{return_id:str}/approve", operation_id="ApproveReturn", permission=Permission.APPROVE)
    async def approve(
        self, request: Request[Any, Any, Any], return_id: FromPath[str], data: JSONBody[returns.ReturnDecision]
    ) -> returns.ReturnRead:
        """Four-eyes: whoever requested the return may not approve it."""
        return await returns.decide(principal_of(request), path_id(return_id, "no such return"), True, data.reason)

    @action("/{return_id:str}/reject", operation_id="RejectReturn", permission=Permission.APPROVE)
    async def reject(
        self, request: Request[Any, Any, Any], return_id: FromPath[str], data: JSONBody[returns.ReturnDecision]
    ) -> returns.ReturnRead:
        return await returns.decide(principal_of(request), path_id(return_id, "no such return"), False, data.reason)

    @action("/{return_id:str}/label", operation_id="IssueReturnLabel", permission=Permission.WRITE)
    async def label(
        self,
        request: Request[Any, Any, Any],
        return_id: FromPath[str],
        data: JSONBody[returns.ReturnLabelRequest | None] = None,
    ) -> returns.ReturnRead:
        """Book the return label on the original shipment's carrier account (once per return)."""
        return await returns.issue_label(
            principal_of(request),
            path_id(return_id, "no such return"),
            data or returns.ReturnLabelRequest(),
            settings=request.app.state.settings,
        )

    @action("/{return_id:str}/receive", operation_id="ReceiveReturn", permission=Permission.WRITE)
    async def receive(
        self, request: Request[Any, Any, Any], return_id: FromPath[str], data: JSONBody[returns.ReturnReceive]
    ) -> returns.ReturnRead:
        """Goods are back: each line restocked or written off; the refund follows what arrived."""
        return await returns.receive(principal_of(request), path_id(return_id, "no such return"), data)

    @action("/{return_id:str}/close", operation_id="CloseReturn", permission=Permission.WRITE)
    async def close(self, request: Request[Any, Any, Any], return_id: FromPath[str]) -> returns.ReturnRead:
        """The refund has been paid: the return is done."""
        return await returns.close(principal_of(request), path_id(return_id, "no such return"))


ROUTES: list[ControllerRouterHandler] = [WorkItemController, OrderReturnController, ReturnController]
