"""HTTP handlers of the customs package (registered by hub.app through ROUTES).

Bodies are read raw and decoded with the engine's own types, so a bad field is named by its JSON
path (``lines[0].hs_code``, ``[3].rate``) and a float where money belongs is refused, never rounded.
"""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

import msgspec
from litestar import Controller, MediaType, Request, Response, get, post
from litestar.exceptions import HTTPException
from litestar.openapi.spec import Operation
from litestar.params import FromPath, HeaderParameter, QueryParameter
from litestar.status_codes import HTTP_201_CREATED, HTTP_413_REQUEST_ENTITY_TOO_LARGE
from litestar.types import ControllerRouterHandler

from customs import hs_codes, quotes, tenant_data
from customs.schedules import service as schedule_service
from customs.schedules.importer import ImportReport
from customs.schemas import (
    EcbImportResult,
    FxRateCreate,
    FxRateRead,
    QuoteRequest,
    StoredQuote,
    TariffRowRead,
    TariffRowsLoaded,
    decode_quote_request,
)
from customs.tariffs import TariffRow
from hub.core.errors import BadRequest, FieldError, NotFound, PayloadTooLarge, ValidationFailed
from hub.core.idempotency import run_idempotent
from hub.core.ids import path_id
from hub.core.pagination import Page
from tenants.guards import principal_of, requires
from tenants.roles import Permission

IdempotencyKey = Annotated[str | None, HeaderParameter(name="Idempotency-Key", required=False)]
Limit = Annotated[int, QueryParameter(ge=1, le=200)]
Cursor = Annotated[str | None, QueryParameter(max_length=200)]
CurrencyFilter = Annotated[str | None, QueryParameter(min_length=3, max_length=3)]

ECB_MAX_BYTES = 1_048_576
"""An ECB eurofxref document: the daily and 90-day files are far smaller; the full history is not taken."""
TARIFF_ROWS_MAX_BYTES = 4 * 1_048_576
"""A schedule of ``MAX_ROWS_PER_UPLOAD`` rows with notes and sources (about 300 bytes each) is more
than the API's general body limit: under it, that many rows could never be loaded at once."""

T = TypeVar("T")


def _decode(body: bytes, type_: type[T]) -> T:
    """Decode a JSON body into ``type_``; msgspec's "... - at `$.rate`" becomes a FieldError on ``rate``."""
    try:
        return msgspec.json.decode(body, type=type_)
    except msgspec.ValidationError as exc:
        text, _, path = str(exc).partition(" - at `$")
        field = path.rstrip("`").lstrip(".") or "body"
        raise ValidationFailed(f"{field}: {text}", errors=[FieldError(field, text)]) from None
    except msgspec.DecodeError as exc:
        raise BadRequest(
            f"body: not valid JSON: {exc}", errors=[FieldError("body", f"not valid JSON: {exc}")]
        ) from None


async def _body(request: Request[Any, Any, Any], limit: int, what: str) -> bytes:
    """The raw body; one over ``limit`` is a 413 that says the limit (Litestar's says only "Request
    Entity Too Large", leaving a clerk to guess how much to split the file)."""
    try:
        return await request.body()
    except HTTPException as exc:
        if exc.status_code != HTTP_413_REQUEST_ENTITY_TOO_LARGE:
            raise
        message = f"at most {limit} bytes per upload ({what}): split the file"
        raise PayloadTooLarge(f"body: {message}", errors=[FieldError("body", message)]) from None


def _inline_schema(type_: Any) -> dict[str, Any]:
    """msgspec's JSON Schema of ``type_`` with its ``$defs`` inlined (the types here are not recursive)."""
    (schema,), defs = msgspec.json.schema_components([type_], ref_template="{name}")

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                return inline(defs[node["$ref"]])
            return {key: inline(value) for key, value in node.items()}
        if isinstance(node, list):
            return [inline(item) for item in node]
        return node

    result: dict[str, Any] = inline(schema)
    return result


def _body_operation(content_type: str, schema: dict[str, Any]) -> type[Operation]:
    """An OpenAPI operation documenting a body the handler reads raw (to name bad fields itself)."""

    class BodyOperation(Operation):
        def to_schema(self) -> dict[str, Any]:
            document = super().to_schema()
            document["requestBody"] = {"required": True, "content": {content_type: {"schema": schema}}}
            return document

    return BodyOperation


_QUOTE_OPERATION = _body_operation("application/json", _inline_schema(QuoteRequest))
_ROWS_OPERATION = _body_operation("application/json", _inline_schema(list[TariffRow]))
_FX_OPERATION = _body_operation("application/json", _inline_schema(FxRateCreate))
_ECB_OPERATION = _body_operation("application/xml", {"type": "string", "description": "ECB eurofxref XML"})


class LandedCostQuoteController(Controller):
    # Each handler names its one permission (tenants.guards).
    path = "/v1/landed-cost/quotes"
    tags = ["landed cost"]

    @post(
        operation_id="CreateLandedCostQuote",
        opt=requires(Permission.WRITE),
        status_code=201,
        operation_class=_QUOTE_OPERATION,
    )
    async def create(
        self, request: Request[Any, Any, Any], idempotency_key: IdempotencyKey = None
    ) -> Response[StoredQuote]:
        """Price duties, import taxes and fees (API.md "Landed cost quote") and store the quote.

        The body is the documented quote request; the answer is the documented response plus ``id``.
        """
        principal = principal_of(request)
        quote_request = decode_quote_request(await request.body())

        async def produce() -> msgspec.Raw:
            return msgspec.Raw(
                await quotes.create_stored_quote_json(
                    principal.tenant_id, quote_request, order_id=None, actor=principal.actor
                )
            )

        # The StoredQuote's JSON comes ready from storage (encoded once); a replayed Idempotency-Key
        # answer is the same bytes as stored.
        body = await run_idempotent(
            principal.tenant_id, idempotency_key, "landed-cost.quotes.create", quote_request, msgspec.Raw, produce
        )
        # Typed as the StoredQuote it is (and the OpenAPI document says), sent as its ready JSON.
        content: Any = bytes(body)
        return Response(content, status_code=HTTP_201_CREATED, media_type=MediaType.JSON)

    @get("/{quote_id:str}", operation_id="GetLandedCostQuote", opt=requires(Permission.READ))
    async def get(self, request: Request[Any, Any, Any], quote_id: FromPath[str]) -> StoredQuote:
        parsed = path_id(quote_id, "no such landed-cost quote")
        return await quotes.get_stored_quote(principal_of(request).tenant_id, parsed)


class TariffRowController(Controller):
    path = "/v1/tariff-rows"
    tags = ["landed cost"]
    opt = requires(Permission.READ)

    @post(
        operation_id="LoadTariffRows",
        opt=requires(Permission.MANAGE),
        status_code=201,
        request_max_body_size=TARIFF_ROWS_MAX_BYTES,
        operation_class=_ROWS_OPERATION,
    )
    async def load(self, request: Request[Any, Any, Any], idempotency_key: IdempotencyKey = None) -> TariffRowsLoaded:
        """Load the tenant's own schedule: a JSON list of tagged rows (``{"type": "duty", ...}``) laid
        over the starter tables; a row whose ``id`` exists (the tenant's or a starter row) is replaced."""
        principal = principal_of(request)
        body = await _body(request, TARIFF_ROWS_MAX_BYTES, f"{tenant_data.MAX_ROWS_PER_UPLOAD} rows at most")
        rows = tenant_data.parse_tariff_rows(body)
        return await run_idempotent(
            principal.tenant_id,
            idempotency_key,
            "customs.tariff-rows.load",
            rows,
            TariffRowsLoaded,
            lambda: tenant_data.load_tariff_rows(principal.tenant_id, rows),
        )

    @get(operation_id="ListTariffRows")
    async def list(
        self, request: Request[Any, Any, Any], limit: Limit = 50, cursor: Cursor = None
    ) -> Page[TariffRowRead]:
        return await tenant_data.list_tariff_rows(principal_of(request).tenant_id, limit=limit, cursor=cursor)


class FxRateController(Controller):
    path = "/v1/fx-rates"
    tags = ["landed cost"]
    opt = requires(Permission.READ)

    @post(
        operation_id="CreateFxRate",
        opt=requires(Permission.MANAGE),
        status_code=201,
        operation_class=_FX_OPERATION,
    )
    async def create(self, request: Request[Any, Any, Any], idempotency_key: IdempotencyKey = None) -> FxRateRead:
        """A keyed-in rate: ``{"base": "USD", "quote": "AUD", "rate": "1.52", "date": "2026-11-27",
        "source": "broker"}``; the same pair, date and source replaces the earlier figure."""
        principal = principal_of(request)
        data = _decode(await request.body(), FxRateCreate)
        return await run_idempotent(
            principal.tenant_id,
            idempotency_key,
            "customs.fx-rates.create",
            data,
            FxRateRead,
            lambda: tenant_data.add_fx_rate(principal.tenant_id, data),
        )

    @post(
        "/ecb",
        operation_id="ImportEcbRates",
        opt=requires(Permission.MANAGE),
        status_code=201,
        request_max_body_size=ECB_MAX_BYTES,
        operation_class=_ECB_OPERATION,
    )
    async def import_ecb(
        self, request: Request[Any, Any, Any], idempotency_key: IdempotencyKey = None
    ) -> EcbImportResult:
        """The body is an ECB euro reference-rate XML document (``eurofxref-daily.xml`` or ``-hist-90d``)."""
        principal = principal_of(request)
        body = await _body(request, ECB_MAX_BYTES, "an ECB daily or 90-day file")
        return await run_idempotent(
            principal.tenant_id,
            idempotency_key,
            "customs.fx-rates.ecb",
            body,
            EcbImportResult,
            lambda: tenant_data.import_ecb_rates(principal.tenant_id, body),
        )

    @get(operation_id="ListFxRates")
    async def list(
        self,
        request: Request[Any, Any, Any],
        limit: Limit = 50,
        cursor: Cursor = None,
        base: CurrencyFilter = None,
        quote: CurrencyFilter = None,
    ) -> Page[FxRateRead]:
        return await tenant_data.list_fx_rates(
            principal_of(request).tenant_id, limit=limit, cursor=cursor, base=base, quote=quote
        )


class HsCodeController(Controller):
    """The imported HS nomenclature (``orderhub hs import``): public reference data, the same for all."""

    path = "/v1/hs-codes"
    tags = ["customs"]
    opt = requires(Permission.READ)

    @get(operation_id="SearchHsCodes")
    async def search(
        self, q: Annotated[str, QueryParameter(min_length=2, max_length=100)], limit: Limit = 20
    ) -> list[hs_codes.HsCodeRead]:
        return await hs_codes.search(q, limit)

    @get("/{code:str}", operation_id="GetHsCode")
    async def lookup(self, code: FromPath[str]) -> list[hs_codes.HsCodeRead]:
        """The code in each loaded nomenclature, with its chapter and heading; 404 when none knows it."""
        digits = code.replace(".", "").replace(" ", "")
        if not digits.isdigit() or not 2 <= len(digits) <= 10 or not digits.isascii():
            raise ValidationFailed.single("code", "2 to 10 digits, e.g. 851840")
        found = await hs_codes.lookup(digits)
        if not any(row.code == digits for row in found):
            raise NotFound(f"no loaded nomenclature has {digits}")
        return found


SCHEDULE_MAX_BYTES = 64 * 1_048_576
"""A tenant's own copy of a whole schedule: the UK measures CSV of every declarable commodity is
about 40 MB; larger files are loaded by the operator (``orderhub tariff import``)."""
_SCHEDULE_OPERATION = _body_operation(
    "application/octet-stream",
    {
        "type": "string",
        "format": "binary",
        "description": "the schedule file as published (CSV, JSON, JSON Lines or XLSX)",
    },
)
Source = Annotated[str, QueryParameter(description="uk-trade-tariff, us-hts or eu-taric", max_length=40)]
FileName = Annotated[str, QueryParameter(description="the file's name, kept with the schedule", max_length=200)]


class TariffScheduleController(Controller):
    """Official tariff schedules: the reference ones every tenant reads, and the tenant's own uploads."""

    path = "/v1/tariff-schedules"
    tags = ["landed cost"]
    opt = requires(Permission.READ)

    @post(
        operation_id="UploadTariffSchedule",
        opt=requires(Permission.MANAGE),
        status_code=201,
        request_max_body_size=SCHEDULE_MAX_BYTES,
        operation_class=_SCHEDULE_OPERATION,
    )
    async def upload(self, request: Request[Any, Any, Any], source: Source, file_name: FileName = "") -> ImportReport:
        """Load the tenant's own copy of an official schedule file (the body, as published): it becomes
        the active schedule for its destination for this tenant, in one transaction. The answer is
        the per-row report: measures loaded, rows skipped and why, expressions that cannot be computed."""
        principal = principal_of(request)
        body = await _body(request, SCHEDULE_MAX_BYTES, "one schedule file; larger ones: orderhub tariff import")
        if not body:
            raise ValidationFailed.single("body", "send the schedule file as the request body")
        return await schedule_service.upload(
            principal.tenant_id, source, body, file_name=file_name, actor=principal.actor
        )

    @get(operation_id="ListTariffSchedules")
    async def index(
        self, request: Request[Any, Any, Any], limit: Limit = 50, cursor: Cursor = None
    ) -> Page[schedule_service.ScheduleRead]:
        """Schedules this tenant sees, newest first: reference ones and its own (``active`` marks those in force)."""
        return await schedule_service.list_schedules(principal_of(request).tenant_id, limit=limit, cursor=cursor)

    @get("/{schedule_id:str}", operation_id="GetTariffSchedule")
    async def read(self, request: Request[Any, Any, Any], schedule_id: FromPath[str]) -> schedule_service.ScheduleRead:
        parsed = path_id(schedule_id, "no such tariff schedule")
        return await schedule_service.get_schedule(principal_of(request).tenant_id, parsed)

    @get("/{schedule_id:str}/measures", operation_id="ListTariffScheduleMeasures")
    async def measures(
        self,
        request: Request[Any, Any, Any],
        schedule_id: FromPath[str],
        code: Annotated[str, QueryParameter(min_length=2, max_length=20)],
    ) -> list[schedule_service.ScheduleMeasureRead]:
        """The measures on ``code``, on its headings and on the national codes under it."""
        parsed = path_id(schedule_id, "no such tariff schedule")
        return await schedule_service.measures_on(principal_of(request).tenant_id, parsed, code)


ROUTES: list[ControllerRouterHandler] = [
    LandedCostQuoteController,
    TariffRowController,
    TariffScheduleController,
    FxRateController,
    HsCodeController,
]
