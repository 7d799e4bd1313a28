"""Console pages for fulfilment and set-up: landed cost, documents, labels, attachments, exceptions, settings.

Each action calls the service the JSON API calls, with the signed-in user's principal; the role is
checked here first (the same permission as the API route), so a viewer's forged POST is refused
server-side with 403. Refusals re-render the page with the reason (and, for bad form input, the
message next to the input it belongs to); successes redirect (post/redirect/get).
"""

from __future__ import annotations

import json
import uuid
from decimal import Decimal, InvalidOperation
from typing import Any

import msgspec
from litestar import Request, Response, get, post
from litestar.datastructures import FormMultiDict, UploadFile
from litestar.params import FromPath
from litestar.response import File, Redirect, Template

from carriers import accounts as carrier_accounts
from carriers import booking as carrier_booking
from carriers import shipments as carrier_shipments
from carriers.registry import CARRIERS
from carriers.schemas import CarrierAccountCreate, ShipmentBookingInput
from customs.documents.preflight import PreflightRefused
from customs.documents.snapshot import DOC_TYPES, Party
from hub.console import queries
from hub.console.controllers import (
    Me,
    _form_text,
    _order_uuid,
    _refusal,
    locale_of,
    me_of,
    order_page,
    render,
)
from hub.console.i18n import translate
from hub.console.sections import DOCUMENT_LOCALES, content_rows, duration_parts
from hub.console.session import flash
from hub.core.database import tenant_tx
from hub.core.errors import AppError, Conflict, FieldError, NotFound, PermissionDenied, ValidationFailed
from hub.core.ids import parse_uuid
from hub.orders import attachments, documents, landed_cost, webhooks, work_items
from hub.orders import settings as tenant_settings
from hub.orders.codec import format_number
from hub.shipping import ParcelIn, order_for_shipping, parcels_from
from i18n import gettext
from tenants import service as tenant_service
from tenants.roles import Role

MAX_ATTACHMENT_FORM_BYTES = 12 * 1024 * 1024
"""The multipart body a console upload may send; the file itself is held to ``settings.max_upload_bytes``."""
EXPORTER_FIELDS = ("name", "company", "contact_name", "phone", "email", "eori", "vat_number", "ioss_number")
EXPORTER_ADDRESS_FIELDS = ("line1", "line2", "city", "region", "postal_code", "country")


def _uuid_or_404(raw: str, what: str) -> uuid.UUID:
    value = parse_uuid(raw)
    if value is None:
        raise NotFound(f"no such {what}")
    return value


def _field_errors(errors: list[FieldError], prefix: str, fallback: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for error in errors or [FieldError(fallback, "invalid")]:
        found.setdefault(f"{prefix}.{error.field}" if error.field else fallback, []).append(error.message)
    return found


def _not_allowed(me: Me, locale: str) -> str:
    del me
    return translate("Your role does not allow this.", locale)


def _preflight_message(exc: PreflightRefused, locale: str) -> str:
    parts = []
    for finding in exc.findings:
        if finding.severity != "blocking":
            continue
        text = translate(finding.message, locale)
        try:
            text = text.format(**finding.params)
        except (KeyError, IndexError, ValueError):
            text = finding.message
        parts.append(f"{finding.field}: {text}")
    return translate("Customs pre-flight blocks this:", locale) + " " + "; ".join(parts)


def _app_refusal(exc: AppError, locale: str) -> str:
    if isinstance(exc, PreflightRefused):
        return _preflight_message(exc, locale)
    return _refusal(exc, locale, "order")


# --- landed cost ----------------------------------------------------------------------------------


@post("/orders/{order_id:str}/quote")
async def quote_order(request: Request[Any, Any, Any], order_id: FromPath[str]) -> Response[Any]:
    me = me_of(request)
    parsed = _order_uuid(order_id)
    locale = locale_of(request, me.principal)
    if not me.may("write"):
        return await order_page(request, parsed, error=_not_allowed(me, locale), status=403)
    try:
        await landed_cost.quote_order(me.principal, parsed, landed_cost.OrderQuoteOptions())
    except (Conflict, ValidationFailed) as exc:
        return await order_page(request, parsed, error=_app_refusal(exc, locale), status=exc.status)
    flash(request, translate("Duties and taxes quoted.", locale))
    return Redirect(f"/console/orders/{parsed}#landed-cost", status_code=303)


# --- documents ------------------------------------------------------------------------------------


@post("/orders/{order_id:str}/documents")
async def generate_document(request: Request[Any, Any, Any], order_id: FromPath[str]) -> Response[Any]:
    me = me_of(request)
    parsed = _order_uuid(order_id)
    locale = locale_of(request, me.principal)
    form = await request.form()
    values = {"document.type": _form_text(form, "type", 40), "document.locale": _form_text(form, "locale", 20)}
    if not me.may("write"):
        return await order_page(request, parsed, error=_not_allowed(me, locale), status=403)
    errors: dict[str, list[str]] = {}
    if values["document.type"] not in DOC_TYPES:
        errors["document.type"] = [translate("Choose a document type.", locale)]
    if values["document.locale"] not in DOCUMENT_LOCALES:
        errors["document.locale"] = [translate("Choose a language.", locale)]
    if errors:
        return await order_page(request, parsed, errors=errors, values=values, status=422)
    try:
        created = await documents.request_document(
            me.principal,
            parsed,
            msgspec.convert(
                {"type": values["document.type"], "locale": values["document.locale"]}, documents.DocumentRequest
            ),
        )
    except ValidationFailed as exc:
        return await order_page(
            request,
            parsed,
            error=exc.detail,
            errors=_field_errors(exc.errors, "document", "document.type"),
            values=values,
            status=422,
        )
    except Conflict as exc:
        return await order_page(request, parsed, error=_app_refusal(exc, locale), values=values, status=exc.status)
    flash(
        request,
        translate("Document requested (version {version}); it is being rendered.", locale).format(
            version=created.version
        ),
    )
    return Redirect(f"/console/orders/{parsed}#documents", status_code=303)


@get("/documents/{document_id:str}")
async def document_preview(request: Request[Any, Any, Any], document_id: FromPath[str]) -> Template:
    me = me_of(request)
    document = await documents.get_document(me.principal.tenant_id, _uuid_or_404(document_id, "document"))
    fields, columns, rows = content_rows(document.content)
    return render(request, "document.html", document=document, fields=fields, columns=columns, rows=rows)


@get("/documents/{document_id:str}/file")
async def document_file(request: Request[Any, Any, Any], document_id: FromPath[str]) -> Response[bytes]:
    me = me_of(request)
    pdf, name = await documents.document_pdf(me.principal.tenant_id, _uuid_or_404(document_id, "document"))
    return Response(
        pdf, media_type="application/pdf", headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


# --- labels ---------------------------------------------------------------------------------------


def _weight(raw: str) -> Decimal | None:
    try:
        value = Decimal(raw.replace(",", "."))
    except InvalidOperation:
        return None
    return value if value.is_finite() and Decimal(0) < value <= Decimal(1000) else None


@post("/orders/{order_id:str}/shipments")
async def book_label(request: Request[Any, Any, Any], order_id: FromPath[str]) -> Response[Any]:
    me = me_of(request)
    parsed = _order_uuid(order_id)
    locale = locale_of(request, me.principal)
    form = await request.form()
    values = {
        "book.carrier_account_id": _form_text(form, "carrier_account_id", 100),
        "book.service": _form_text(form, "service", 64),
        "book.weight_kg": _form_text(form, "weight_kg", 20),
    }
    if not me.may("write"):
        return await order_page(request, parsed, error=_not_allowed(me, locale), status=403)
    errors: dict[str, list[str]] = {}
    account_id = parse_uuid(values["book.carrier_account_id"])
    if account_id is None:
        errors["book.carrier_account_id"] = [translate("Choose a carrier account.", locale)]
    if not values["book.service"]:
        errors["book.service"] = [translate("Choose a service.", locale)]
    weight = _weight(values["book.weight_kg"])
    if weight is None:
        errors["book.weight_kg"] = [translate("A weight in kg, more than 0 and at most 1000.", locale)]
    if errors or account_id is None or weight is None:
        return await order_page(request, parsed, errors=errors, values=values, status=422)
    form_id = _form_text(form, "form_id", 100) or uuid.uuid4().hex
    principal = me.principal
    try:
        async with tenant_tx(principal.tenant_id):
            order, ship_from, ship_to, customs = await order_for_shipping(principal, parsed)
        shipment = await carrier_booking.book_shipment(
            principal.tenant_id,
            ShipmentBookingInput(
                order_id=parsed,
                carrier_account_id=account_id,
                service=values["book.service"],
                parcels=parcels_from([ParcelIn(weight_kg=weight)]),
                ship_from=ship_from,
                ship_to=ship_to,
                customs=customs,
                reference=format_number(order["number"]),
                incoterm=order["incoterm"],
            ),
            idempotency_key=f"console:{form_id}",
            settings=request.app.state.settings,
        )
    except ValidationFailed as exc:
        renamed = {"carrier_account_id": "carrier_account_id", "service": "service", "parcels": "weight_kg"}
        found: dict[str, list[str]] = {}
        for error in exc.errors:
            head = error.field.split(".")[0].split("[")[0]
            if head in renamed:
                found.setdefault(f"book.{renamed[head]}", []).append(error.message)
        return await order_page(request, parsed, error=exc.detail, errors=found, values=values, status=422)
    except AppError as exc:
        return await order_page(request, parsed, error=_app_refusal(exc, locale), values=values, status=exc.status)
    flash(
        request,
        translate("Label booked: {tracking}.", locale).format(tracking=shipment.tracking_number or shipment.status),
    )
    return Redirect(f"/console/orders/{parsed}#shipments", status_code=303)


@get("/shipments/{shipment_id:str}/label")
async def shipment_label(request: Request[Any, Any, Any], shipment_id: FromPath[str]) -> Response[bytes]:
    me = me_of(request)
    label = await carrier_shipments.get_label(me.principal.tenant_id, _uuid_or_404(shipment_id, "shipment"))
    return Response(
        label, media_type="application/pdf", headers={"Content-Disposition": 'attachment; filename="label.pdf"'}
    )


# --- attachments ----------------------------------------------------------------------------------


@post("/orders/{order_id:str}/attachments", request_max_body_size=MAX_ATTACHMENT_FORM_BYTES)
async def upload_attachment(request: Request[Any, Any, Any], order_id: FromPath[str]) -> Response[Any]:
    me = me_of(request)
    parsed = _order_uuid(order_id)
    locale = locale_of(request, me.principal)
    form = await request.form()
    kind = _form_text(form, "kind", 20)
    values = {"attachment.kind": kind}
    if not me.may("write"):
        return await order_page(request, parsed, error=_not_allowed(me, locale), status=403)
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        errors = {"attachment.file": [translate("Choose a file.", locale)]}
        return await order_page(request, parsed, errors=errors, values=values, status=422)
    settings = request.app.state.settings
    try:
        await attachments.add(
            me.principal.tenant_id,
            parsed,
            filename=upload.filename,
            content=await upload.read(),
            kind=kind,
            actor=me.principal.actor,
            data_dir=settings.data_dir,
            max_bytes=settings.max_upload_bytes,
        )
    except ValidationFailed as exc:
        errors = _field_errors(exc.errors, "attachment", "attachment.file")
        return await order_page(request, parsed, errors=errors, values=values, status=422)
    except AppError as exc:
        if isinstance(exc, NotFound):
            raise
        message = gettext(type(exc).title, locale) + ": " + exc.detail
        return await order_page(
            request, parsed, errors={"attachment.file": [message]}, values=values, status=exc.status
        )
    flash(request, translate("Attachment added.", locale))
    return Redirect(f"/console/orders/{parsed}#attachments", status_code=303)


@get("/attachments/{attachment_id:str}/file")
async def attachment_file(request: Request[Any, Any, Any], attachment_id: FromPath[str]) -> File:
    me = me_of(request)
    tenant_id = me.principal.tenant_id
    found = await attachments.get(tenant_id, _uuid_or_404(attachment_id, "attachment"))
    path = attachments.file_path(request.app.state.settings.data_dir, tenant_id, found)
    return File(path=path, filename=found.filename, media_type=found.content_type)


# --- exceptions -----------------------------------------------------------------------------------


async def exceptions_view(
    request: Request[Any, Any, Any],
    *,
    errors: dict[str, list[str]] | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> Template:
    me = me_of(request)
    tenant_id = me.principal.tenant_id
    page = await work_items.list_items(tenant_id, status="open,in_progress", kind=None, limit=200, cursor=None)
    shipments = await queries.exception_shipments(tenant_id)
    return render(
        request,
        "exceptions.html",
        status=status,
        page="/console/exceptions",
        items=page.items,
        more=page.next_cursor is not None,
        shipments=shipments,
        covered={item.shipment_id for item in page.items if item.shipment_id},
        duration=duration_parts,
        errors=errors or {},
        values=values or {},
    )


@get("/exceptions")
async def exceptions_page(request: Request[Any, Any, Any]) -> Template:
    return await exceptions_view(request)


@post("/work-items/{item_id:str}/resolve")
async def resolve_work_item(request: Request[Any, Any, Any], item_id: FromPath[str]) -> Response[Any]:
    me = me_of(request)
    parsed = _uuid_or_404(item_id, "work item")
    locale = locale_of(request, me.principal)
    form = await request.form()
    resolution = _form_text(form, "resolution", 4000)
    if not me.may("write"):
        raise PermissionDenied("your role may not resolve work items")
    try:
        item = await work_items.resolve(me.principal, parsed, work_items.WorkItemResolve(resolution=resolution))
    except ValidationFailed as exc:
        key = f"resolution:{parsed}"
        errors = {key: [e.message for e in exc.errors] or [exc.detail]}
        return await exceptions_view(request, errors=errors, values={key: resolution}, status=422)
    except Conflict as exc:
        return await exceptions_view(request, errors={f"resolution:{parsed}": [exc.detail]}, status=409)
    flash(request, translate("Work item for order {number} resolved.", locale).format(number=item.order_number or ""))
    return Redirect("/console/exceptions", status_code=303)


# --- settings -------------------------------------------------------------------------------------


def _manager(me: Me) -> None:
    if me.principal.role not in (Role.OWNER, Role.ADMIN):
        raise PermissionDenied("only owners and admins see the settings")


async def _manager_form(request: Request[Any, Any, Any]) -> tuple[Me, str, FormMultiDict]:
    """A settings form post: the signed-in owner or admin, their locale, and the submitted form."""
    me = me_of(request)
    _manager(me)
    return me, locale_of(request, me.principal), await request.form()


def _stored_values(settings: dict[str, object]) -> dict[str, str]:
    values: dict[str, str] = {
        "policy.max_discount_percent": str(settings.get("max_discount_percent") or ""),
        "policy.auto_approve_clean_orders": "on" if settings.get("auto_approve_clean_orders") else "",
    }
    exporter = settings.get("exporter")
    if isinstance(exporter, dict):
        for name in EXPORTER_FIELDS:
            values[f"exporter.{name}"] = str(exporter.get(name) or "")
        address = exporter.get("address") or {}
        if isinstance(address, dict):
            for name in EXPORTER_ADDRESS_FIELDS:
                values[f"exporter.address.{name}"] = str(address.get(name) or "")
    return values


async def settings_view(
    request: Request[Any, Any, Any],
    *,
    errors: dict[str, list[str]] | None = None,
    values: dict[str, str] | None = None,
    error: str | None = None,
    status: int = 200,
) -> Template:
    me = me_of(request)
    _manager(me)
    tenant_id = me.principal.tenant_id
    keys = await tenant_service.list_api_keys(tenant_id)
    endpoints = await webhooks.list_endpoints(tenant_id)
    accounts = await carrier_accounts.list_accounts(tenant_id, settings=request.app.state.settings, limit=200)
    shown = {**_stored_values(me.principal.settings), "account.options": "{}", **(values or {})}
    credential_names = sorted({n for info in CARRIERS.values() for n in info.required_credentials})
    return render(
        request,
        "settings.html",
        status=status,
        page="/console/settings",
        keys=keys,
        endpoints=endpoints,
        accounts=accounts.items,
        carriers=CARRIERS,
        credential_names=credential_names,
        webhook_events=webhooks.EVENTS,
        exporter_fields=EXPORTER_FIELDS,
        exporter_address_fields=EXPORTER_ADDRESS_FIELDS,
        errors=errors or {},
        values=shown,
        error=error,
    )


@get("/settings")
async def settings_page(request: Request[Any, Any, Any]) -> Template:
    return await settings_view(request)


@post("/settings/carrier-accounts")
async def create_carrier_account(request: Request[Any, Any, Any]) -> Response[Any]:
    me, locale, form = await _manager_form(request)
    carrier, name = _form_text(form, "carrier", 40), _form_text(form, "name", 300)
    # Secrets are never put back into the page, not even after an error.
    values = {"account.carrier": carrier, "account.name": name, "account.options": _form_text(form, "options", 4000)}
    credentials = {
        key.removeprefix("credentials."): value.strip()
        for key, value in form.items()
        if key.startswith("credentials.") and isinstance(value, str) and value.strip()
    }
    secret = form.get("webhook_secret")
    try:
        options = json.loads(values["account.options"] or "{}")
    except ValueError:
        options = None
    if not isinstance(options, dict):
        errors = {"account.options": [translate('A JSON object, e.g. {"simulate_tracking": false}.', locale)]}
        return await settings_view(request, errors=errors, values=values, status=422)
    data = CarrierAccountCreate(
        carrier=carrier,
        name=name,
        credentials=credentials,
        webhook_secret=secret if isinstance(secret, str) and secret else None,
        options=options,
    )
    try:
        created = await carrier_accounts.create_account(
            me.principal.tenant_id, data, settings=request.app.state.settings
        )
    except ValidationFailed as exc:
        errors = _field_errors(exc.errors, "account", "account.name")
        errors = {(k if not k.startswith("account.options.") else "account.options"): v for k, v in errors.items()}
        return await settings_view(request, errors=errors, values=values, status=422)
    flash(request, translate("Carrier account {name} created.", locale).format(name=created.name))
    return Redirect("/console/settings#carrier-accounts", status_code=303)


@post("/settings/webhook-endpoints")
async def create_webhook_endpoint(request: Request[Any, Any, Any]) -> Response[Any]:
    me, locale, form = await _manager_form(request)
    url = _form_text(form, "url", 2000)
    secret = form.get("secret")
    events = [e for e in webhooks.EVENTS if form.get(f"event.{e}") in ("on", "true", "1")]
    values = {"endpoint.url": url, **{f"endpoint.event.{e}": "on" for e in events}}
    errors: dict[str, list[str]] = {}
    if not isinstance(secret, str) or not 16 <= len(secret) <= 200:
        errors["endpoint.secret"] = [translate("16 to 200 characters.", locale)]
    if not events:
        errors["endpoint.events"] = [translate("Choose at least one event.", locale)]
    if errors:
        return await settings_view(request, errors=errors, values=values, status=422)
    try:
        await webhooks.create_endpoint(
            me.principal.tenant_id,
            msgspec.convert({"url": url, "secret": secret, "events": events}, webhooks.EndpointCreate),
        )
    except msgspec.ValidationError as exc:
        return await settings_view(request, errors={"endpoint.url": [str(exc)]}, values=values, status=422)
    except ValidationFailed as exc:
        errors = _field_errors(exc.errors, "endpoint", "endpoint.url")
        return await settings_view(request, errors=errors, values=values, status=422)
    flash(request, translate("Webhook endpoint added.", locale))
    return Redirect("/console/settings#webhook-endpoints", status_code=303)


@post("/settings/policy")
async def update_policy(request: Request[Any, Any, Any]) -> Response[Any]:
    me, locale, form = await _manager_form(request)
    percent = _form_text(form, "max_discount_percent", 20)
    auto = form.get("auto_approve_clean_orders") in ("on", "true", "1")
    values = {"policy.max_discount_percent": percent, "policy.auto_approve_clean_orders": "on" if auto else ""}
    try:
        await tenant_settings.update(
            me.principal.tenant_id,
            tenant_settings.SettingsUpdate(max_discount_percent=percent or None, auto_approve_clean_orders=auto),
        )
    except ValidationFailed as exc:
        errors = _field_errors(exc.errors, "policy", "policy.max_discount_percent")
        return await settings_view(request, errors=errors, values=values, status=422)
    flash(request, translate("Price policy saved.", locale))
    return Redirect("/console/settings#policy", status_code=303)


@post("/settings/exporter")
async def update_exporter(request: Request[Any, Any, Any]) -> Response[Any]:
    me, locale, form = await _manager_form(request)
    party = {name: _form_text(form, f"exporter.{name}", 300) for name in EXPORTER_FIELDS}
    address = {name: _form_text(form, f"exporter.address.{name}", 300) for name in EXPORTER_ADDRESS_FIELDS}
    address["country"] = address["country"].upper()
    values = {f"exporter.{k}": v for k, v in party.items()} | {f"exporter.address.{k}": v for k, v in address.items()}
    required = {"exporter.name": party["name"]} | {
        f"exporter.address.{k}": address[k] for k in ("line1", "city", "country")
    }
    errors = {key: [translate("Required.", locale)] for key, value in required.items() if not value}
    if address["country"] and (len(address["country"]) != 2 or not address["country"].isalpha()):
        errors["exporter.address.country"] = [translate("A two-letter country code, e.g. CN.", locale)]
    if errors:
        return await settings_view(request, errors=errors, values=values, status=422)
    exporter = msgspec.convert({**party, "address": address}, Party)
    await tenant_settings.update(me.principal.tenant_id, tenant_settings.SettingsUpdate(exporter=exporter))
    flash(request, translate("Exporter saved.", locale))
    return Redirect("/console/settings#exporter", status_code=303)


HANDLERS = [
    quote_order,
    generate_document,
    document_preview,
    document_file,
    book_label,
    shipment_label,
    upload_attachment,
    attachment_file,
    exceptions_page,
    resolve_work_item,
    settings_page,
    create_carrier_account,
    create_webhook_endpoint,
    update_policy,
    update_exporter,
]
