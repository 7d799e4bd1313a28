"""Console pages: parse the form, check the role, call the same order services as the API, render.

Every page works without JavaScript: reads are plain GETs with query strings, writes are plain form
POSTs answered with a redirect (post/redirect/get) or, when the service refuses, the same page again
with the reason and the refusal's status code.
"""

from __future__ import annotations

import ipaddress
import logging
import time
import uuid
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, format_decimal
from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.exceptions import HTTPException
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from hub.console.forms import (
    CHANGE_ADDRESS_FIELDS,
    CHANGE_KINDS,
    LINE_ROWS,
    change_input,
    errors_by_input,
    parse_change_form,
    parse_order_form,
    to_form_field,
)
from hub.console.i18n import CONSOLE_LOCALES, translate
from hub.console.sections import duration_parts, order_sections, services_of
from hub.console.session import (
    CSRF_FIELD,
    CSRF_HEADER,
    LANG_COOKIE,
    csrf_ok,
    csrf_token,
    current_session,
    end_session,
    flash,
    pop_flash,
    start_session,
)
from hub.core.errors import AppError, Conflict, FieldError, NotFound, PermissionDenied, ValidationFailed
from hub.core.idempotency import run_idempotent
from hub.core.ids import parse_uuid, path_id
from hub.core.money import MoneyWire
from hub.orders import changes, decisions, imports, intake, reading
from hub.orders.review import MESSAGES as REVIEW_MESSAGES
from hub.orders.schemas import ChangeRequestRead, Finding, OrderRead, OrderSummary
from hub.orders.status import permits
from hub.problems import to_app_error
from i18n import gettext, negotiate
from tenants import users
from tenants.roles import Permission, allows
from tenants.schemas import Principal

logger = logging.getLogger("hub.console")

QUEUE_STATUSES = ("in_review", "on_hold", "awaiting_approval", "backordered")
QUEUE_SHOWN = 50
QUEUE_SCAN = 1000
MAX_IMPORT_BYTES = 10 * 1024 * 1024
PUBLIC = {"console_public": True}
Query = Annotated[str | None, QueryParameter(max_length=500)]


@dataclass(frozen=True)
class Me:
    """The signed-in user of this request."""

    principal: Principal
    display_name: str

    def may(self, permission: str) -> bool:
        return allows(self.principal.role, Permission(permission))


# --- helpers ------------------------------------------------------------------------------------


def locale_of(request: Request[Any, Any, Any], principal: Principal | None = None) -> str:
    """The language cookie, then Accept-Language, then the user's and the tenant's locale; en or zh_Hans."""
    chosen = request.cookies.get(LANG_COOKIE)
    if chosen in CONSOLE_LOCALES:
        return chosen
    found = negotiate(request.headers.get("accept-language"), principal.locale if principal else None)
    return found if found in CONSOLE_LOCALES else "en"


def me_of(request: Request[Any, Any, Any]) -> Me:
    found = getattr(request.state, "console_me", None)
    if not isinstance(found, Me):
        raise PermissionDenied("sign in first")
    return found


def _babel_locale(locale: str) -> str:
    return "zh_Hans_CN" if locale == "zh_Hans" else "en_US"


def _day(value: Any, locale: str) -> str:
    """A calendar date (delivery date, ETA) in the clerk's format; text that is no date as it is."""
    if not value:
        return ""
    try:
        parsed = value if isinstance(value, date) else date.fromisoformat(str(value))
    except ValueError:
        return str(value)
    return format_date(parsed, "medium", locale=locale)


def _size(value: int, locale: str) -> str:
    """A file size as people read it: 512 B, 12.3 KB, 4.1 MB (decimal units, the clerk's separators)."""
    for unit, scale in (("MB", 1_000_000), ("KB", 1_000)):
        if value >= scale:
            return f"{format_decimal(round(value / scale, 1), locale=locale)} {unit}"
    return f"{value} B"


def render(
    request: Request[Any, Any, Any],
    template: str,
    *,
    status: int = 200,
    me: Me | None = None,
    page: str | None = None,
    **context: Any,
) -> Template:
    """``page``: the address that shows this page with a GET, when it is rendered for a form's POST to
    another address (a refusal); the language links and the navigation go there."""
    me = me or getattr(request.state, "console_me", None)
    principal = me.principal if me else None
    locale = locale_of(request, principal)
    zone = ZoneInfo(principal.timezone) if principal else ZoneInfo("UTC")
    babel_locale = _babel_locale(locale)

    def t(message: str, **params: Any) -> str:
        text = translate(message, locale)
        return text.format(**params) if params else text

    def money(value: MoneyWire | dict[str, Any] | None) -> str:
        if value is None:
            return ""
        amount, currency = (
            (value.amount, value.currency) if isinstance(value, MoneyWire) else (value["amount"], value["currency"])
        )
        try:
            return format_currency(Decimal(str(amount)), currency, locale=babel_locale)
        except (InvalidOperation, ValueError):
            return f"{amount} {currency}"

    def finding(found: Finding) -> str:
        template = REVIEW_MESSAGES.get(found.code)
        if template is None:
            return found.message
        try:
            return translate(template, locale).format(**found.params)
        except (KeyError, IndexError, ValueError):
            return found.message

    def when(value: Any) -> str:
        return format_datetime(value, "short", tzinfo=zone, locale=babel_locale) if value else ""

    return Template(
        template_name=template,
        status_code=status,
        context={
            "t": t,
            "money": money,
            "when": when,
            "day": lambda value: _day(value, babel_locale),
            "size": lambda value: _size(value, babel_locale),
            "finding": finding,
            "locale": locale,
            "locales": CONSOLE_LOCALES,
            "me": me,
            "csrf_field": CSRF_FIELD,
            "csrf": csrf_token(request),
            "flash": pop_flash(request),
            "path": page or request.url.path + (f"?{request.url.query}" if request.url.query else ""),
            **context,
        },
    )


def _safe_next(raw: str | None) -> str:
    """Only paths inside the console: never an open redirect."""
    if raw and raw.startswith("/console") and not raw.startswith("//") and "\\" not in raw:
        return raw
    return "/console/queue"


def _order_uuid(raw: str) -> uuid.UUID:
    return path_id(raw, "no such order")


def _form_text(form: Any, name: str, limit: int = 2000) -> str:
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


def _refusal(error: AppError, locale: str, action: str) -> str:
    """A sentence for the clerk: what the service refused and why."""
    if isinstance(error, PermissionDenied) and "four-eyes" in error.detail:
        return (
            translate("You entered this order; another person must approve or reject it (four-eyes rule).", locale)
            if action == "order"
            else translate("You requested this change; another person must decide it (four-eyes rule).", locale)
        )
    if isinstance(error, Conflict):
        return translate("Not possible in the order's current status.", locale) + " " + error.detail
    return gettext(type(error).title, locale) + ": " + error.detail


# --- the hook: CSRF on every POST, a signed-in user on every page that is not public -----------


async def console_before_request(request: Request[Any, Any, Any]) -> Response[Any] | None:
    if request.method == "POST":
        form = await request.form()
        sent = form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER)
        if not csrf_ok(request, sent if isinstance(sent, str) else None):
            return render(
                request,
                "error.html",
                status=403,
                page="/console/queue",
                message=translate(
                    "The form has expired or did not come from this site. Reload the page and try again.",
                    locale_of(request),
                ),
            )
    if request.route_handler.opt.get("console_public"):
        return None
    # The session middleware has looked the cookie up: a signed-out, expired or revoked session (or
    # a disabled user) is no session, and its cookie is being deleted.
    session = current_session(request)
    if session is None:
        target = request.url.path if request.method == "GET" else "/console/queue"
        return Redirect(f"/console/login?next={quote(target)}", status_code=303)
    request.state.console_me = Me(principal=session.principal, display_name=session.display_name)
    return None


def console_exception_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """Errors on console pages are pages, not problem+json.

    Mapped like the API's (:func:`hub.problems.to_app_error`): input only a client can have sent
    (a NUL character, a number beyond a column) is a 400 naming it there, so it is here too.
    """
    locale = locale_of(request)
    if isinstance(exc, HTTPException):
        # Litestar's own (404, 405, 413, a query too long): its detail is English and technical
        # ("Method Not Allowed", "Validation failed for GET ..."); the status's title says it.
        status, kind = exc.status_code, type(to_app_error(exc))
        message = exc.detail if kind is AppError else gettext(kind.title, locale)
    else:
        error = to_app_error(exc)
        if error.status < HTTP_500_INTERNAL_SERVER_ERROR:
            status = error.status
            message = gettext(type(error).title, locale) + (f": {error.detail}" if error.detail else "")
        else:
            logger.exception("console page failed", exc_info=exc)
            status, message = 500, translate("Something went wrong. Try again, or tell your administrator.", locale)
    page = None if request.method == "GET" else "/console/queue"
    return render(request, "error.html", status=status, message=message, page=page)


# --- sign in, out, language ---------------------------------------------------------------------


@get("/", opt=PUBLIC)
async def console_home() -> Redirect:
    return Redirect("/console/queue")


@get("/login", opt=PUBLIC)
async def login_page(request: Request[Any, Any, Any], next: Query = None) -> Template:
    return render(request, "login.html", next=_safe_next(next), error=None, tenant="", email="")


# Failed sign-ins, per process, counted twice: per (organisation, e-mail), and per client address,
# so one password sprayed over many e-mails is stopped too. After LOGIN_FAILURES (per account) or
# LOGIN_FAILURES_PER_ADDRESS (per address) within LOGIN_WINDOW seconds of the first failure, that
# account or address is refused for the rest of the window, right password or not.
LOGIN_FAILURES = 10
LOGIN_FAILURES_PER_ADDRESS = 50
LOGIN_WINDOW = 900.0
LOGIN_TRACKED = 100_000


@dataclass(slots=True)
class _Window:
    started: float
    failures: int = 0


class _FailureLog:
    """Failures per key in a fixed window, in memory: a few dozen bytes per key, ``max_keys`` keys.

    Past ``max_keys`` the key touched longest ago is dropped, one at a time: a flood of new keys
    (e-mails, addresses) cannot clear the counter of one that is still failing or still refused.
    """

    def __init__(self, limit: int, max_keys: int = LOGIN_TRACKED) -> None:
        self.limit = limit
        self.max_keys = max_keys
        self._windows: OrderedDict[Hashable, _Window] = OrderedDict()

    def __len__(self) -> int:
        return len(self._windows)

    def _current(self, key: Hashable) -> _Window | None:
        window = self._windows.get(key)
        if window is not None and time.monotonic() - window.started >= LOGIN_WINDOW:
            del self._windows[key]
            return None
        return window

    def blocked(self, key: Hashable) -> bool:
        """True when ``key`` has ``limit`` failures in its window; a refused attempt keeps it recent."""
        window = self._current(key)
        if window is None:
            return False
        self._windows.move_to_end(key)
        return window.failures >= self.limit

    def note(self, key: Hashable) -> None:
        window = self._current(key)
        if window is None:
            window = self._windows[key] = _Window(time.monotonic())
        window.failures += 1
        self._windows.move_to_end(key)
        while len(self._windows) > self.max_keys:
            self._windows.popitem(last=False)

    def forget(self, key: Hashable) -> None:
        self._windows.pop(key, None)

    def clear(self) -> None:
        self._windows.clear()


_failures = _FailureLog(LOGIN_FAILURES)
_address_failures = _FailureLog(LOGIN_FAILURES_PER_ADDRESS)


def client_key(host: str) -> str:
    """The key of a client address: an IPv6 client counts by its /64, which one subscriber usually
    holds whole; an IPv4-mapped one as the IPv4 address it is."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is None:
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address.ipv4_mapped if isinstance(address, ipaddress.IPv6Address) else address)


@post("/login", opt=PUBLIC)
async def login(request: Request[Any, Any, Any]) -> Response[Any]:
    form = await request.form()
    tenant, email, password = _form_text(form, "tenant", 100), _form_text(form, "email", 320), form.get("password")
    target = _safe_next(_form_text(form, "next"))
    # The address the ASGI server reports: uvicorn takes X-Forwarded-For only from proxies it trusts.
    account, address = (tenant.lower(), email.lower()), client_key(request.client.host if request.client else "")
    # Both checked, so a refused address keeps its place in the log however many e-mails it tries.
    address_refused, account_refused = _address_failures.blocked(address), _failures.blocked(account)
    if address_refused or account_refused:
        message = translate("Too many failed sign-ins. Wait a few minutes and try again.", locale_of(request))
        return render(request, "login.html", status=429, next=target, error=message, tenant=tenant, email=email)
    principal = None
    if tenant and email and isinstance(password, str) and password:
        principal = await users.verify_credentials(tenant, email, password)
    if principal is None:
        _failures.note(account)
        _address_failures.note(address)
        message = translate("The organisation, e-mail or password is not right.", locale_of(request))
        return render(request, "login.html", status=401, next=target, error=message, tenant=tenant, email=email)
    # The address keeps its count: one account an attacker owns must not let it spray on.
    _failures.forget(account)
    await start_session(request, principal)
    return Redirect(target, status_code=303)


@post("/logout", opt=PUBLIC)
async def logout(request: Request[Any, Any, Any]) -> Redirect:
    """Revokes the session server-side: the cookie, or any copy of it, signs nobody in again."""
    await end_session(request)
    return Redirect("/console/login", status_code=303)


PASSWORD_FIELDS = ("current_password", "new_password", "repeat_password")


@get("/password")
async def password_page(request: Request[Any, Any, Any]) -> Template:
    return render(request, "password.html", error=None)


@post("/password")
async def change_password(request: Request[Any, Any, Any]) -> Response[Any]:
    """The signed-in user's own password: asked for the current one, and every other session of
    theirs is signed out (this one stays)."""
    me = me_of(request)
    session = current_session(request)
    user_id = me.principal.user_id
    if session is None or user_id is None:  # the hook lets only a signed-in person through
        raise PermissionDenied("sign in first")
    locale = locale_of(request, me.principal)
    form = await request.form()
    values = [form.get(name) for name in PASSWORD_FIELDS]
    current, new, repeat = (value if isinstance(value, str) else "" for value in values)
    if not (current and new and repeat):
        return render(request, "password.html", status=422, error=translate("Fill in every field.", locale))
    # Wrong current passwords count like failed sign-ins: a session left open is no free guessing.
    account = ("password", str(user_id))
    if _failures.blocked(account):
        message = translate("Too many failed sign-ins. Wait a few minutes and try again.", locale)
        return render(request, "password.html", status=429, error=message)
    if not await users.verify_password(me.principal.tenant_id, user_id, current):
        _failures.note(account)
        return render(
            request, "password.html", status=422, error=translate("The current password is not right.", locale)
        )
    if new != repeat:
        return render(request, "password.html", status=422, error=translate("The two new passwords differ.", locale))
    if not users.MIN_PASSWORD_LENGTH <= len(new) <= users.MAX_PASSWORD_LENGTH:
        message = translate("The new password needs at least 10 characters.", locale)
        return render(request, "password.html", status=422, error=message)
    _failures.forget(account)
    await users.change_password(me.principal.tenant_id, user_id, new, keep_session=session.id)
    flash(request, translate("Password changed. Your other sessions are signed out.", locale))
    return Redirect("/console/queue", status_code=303)


@get("/lang/{code:str}", opt=PUBLIC)
async def set_language(code: FromPath[str], next: Query = None) -> Redirect:
    response = Redirect(_safe_next(next), status_code=303)
    if code in CONSOLE_LOCALES:
        response.set_cookie(LANG_COOKIE, code, max_age=365 * 86400, path="/console", httponly=True, samesite="lax")
    return response


# --- review queue -------------------------------------------------------------------------------


@get("/queue")
async def queue(request: Request[Any, Any, Any], status: Query = None, q: Query = None, page: Query = None) -> Template:
    me = me_of(request)
    tenant_id = me.principal.tenant_id
    wanted = status if status in QUEUE_STATUSES else None
    query = (q or "").strip()[:200] or None
    # The list API pages newest first; the queue is worked oldest first, so read the open queue
    # (up to QUEUE_SCAN orders) and show its oldest QUEUE_SHOWN.
    found: list[OrderSummary] = []
    cursor: str | None = None
    while len(found) < QUEUE_SCAN:
        batch = await reading.list_orders(
            tenant_id,
            limit=200,
            cursor=cursor,
            status=wanted or ",".join(QUEUE_STATUSES),
            channel=None,
            q=query,
            created_from=None,
            created_to=None,
        )
        found.extend(batch.items)
        cursor = batch.next_cursor
        if cursor is None:
            break
    found.sort(key=lambda order: order.id)
    # Pages of QUEUE_SHOWN, oldest first; a page number that is not one shows the first or the last.
    last_page = max(0, (len(found) - 1) // QUEUE_SHOWN)
    number = min(int(page) - 1, last_page) if page and page.isascii() and page.isdigit() and int(page) > 0 else 0
    shown = found[number * QUEUE_SHOWN : (number + 1) * QUEUE_SHOWN]
    rows = []
    for summary in shown:
        order = await reading.get_order(tenant_id, summary.id)
        blocking = [f for f in order.findings if f.severity == "blocking"]
        rows.append({"order": summary, "blocking": blocking, "warnings": len(order.findings) - len(blocking)})
    return render(
        request,
        "queue.html",
        rows=rows,
        total=len(found),
        more=cursor is not None,
        first=number * QUEUE_SHOWN + 1,
        previous_page=number if number > 0 else None,
        next_page=number + 2 if number < last_page else None,
        statuses=QUEUE_STATUSES,
        status_filter=wanted or "",
        q=query or "",
    )


# --- one order ----------------------------------------------------------------------------------


def _actor_label(actor: str, names: dict[uuid.UUID, str], locale: str) -> str:
    kind, _, rest = actor.partition(":")
    if kind == "user":
        parsed = parse_uuid(rest)
        if parsed is not None and parsed in names:
            return names[parsed]
    if kind == "key":
        return translate("API key", locale) + " …" + rest[-6:]
    if kind == "system":
        return translate("system", locale) + f" ({rest})"
    return actor


async def order_page(
    request: Request[Any, Any, Any],
    order_id: uuid.UUID,
    *,
    error: str | None = None,
    status: int = 200,
    errors: dict[str, list[str]] | None = None,
    values: dict[str, str] | None = None,
) -> Template:
    """The order with its review, fulfilment sections and forms; ``errors`` keyed by form input name."""
    me = me_of(request)
    tenant_id = me.principal.tenant_id
    order: OrderRead = await reading.get_order(tenant_id, order_id)
    extra = await order_sections(me.principal, order_id, order.status, request.app.state.settings)
    events = await reading.list_events(tenant_id, order_id)
    requests = await changes.list_for_order(tenant_id, order_id)
    actors = {order.entered_by, *(e.actor for e in events), *(r.requested_by for r in requests)}
    actors |= {r.decided_by for r in requests if r.decided_by}
    user_ids = [u for a in actors if a.startswith("user:") and (u := parse_uuid(a[5:])) is not None]
    names = await users.display_names(tenant_id, user_ids)
    locale = locale_of(request, me.principal)
    return render(
        request,
        "order.html",
        status=status,
        page=f"/console/orders/{order_id}",
        order=order,
        events=events,
        requests=requests,
        actor=lambda a: _actor_label(a, names, locale),
        own_order=order.entered_by == me.principal.actor,
        approvable=permits("approve", order.status),
        rejectable=permits("reject", order.status),
        cancellable=permits("cancel", order.status),
        changeable=me.may("write") and permits("change", order.status),
        address_fields=CHANGE_ADDRESS_FIELDS,
        error=error,
        errors=errors or {},
        values=values or {},
        form_id=str(uuid.uuid4()),
        x=extra,
        services=services_of(extra.accounts),
        duration=duration_parts,
    )


@get("/orders/{order_id:str}")
async def show_order(request: Request[Any, Any, Any], order_id: FromPath[str]) -> Template:
    return await order_page(request, _order_uuid(order_id))


async def _decide_order(request: Request[Any, Any, Any], raw_id: str, action: str) -> Response[Any]:
    me = me_of(request)
    order_id = _order_uuid(raw_id)
    locale = locale_of(request, me.principal)
    form = await request.form()
    reason = _form_text(form, "reason")
    needed = Permission.WRITE if action == "cancel" else Permission.APPROVE
    if not allows(me.principal.role, needed):
        message = translate("Your role does not allow this.", locale)
        return await order_page(request, order_id, error=message, status=403)
    if action != "approve" and not reason:
        return await order_page(request, order_id, error=translate("Give a reason.", locale), status=422)
    try:
        if action == "approve":
            await decisions.approve(me.principal, order_id, reason)
        elif action == "reject":
            await decisions.reject(me.principal, order_id, reason)
        else:
            await decisions.cancel(me.principal, order_id, reason)
    except (PermissionDenied, Conflict, ValidationFailed) as exc:
        return await order_page(request, order_id, error=_refusal(exc, locale, "order"), status=exc.status)
    done = {"approve": "Order approved.", "reject": "Order rejected.", "cancel": "Order cancelled."}[action]
    flash(request, translate(done, locale))
    return Redirect(f"/console/orders/{order_id}", status_code=303)


@post("/orders/{order_id:str}/approve")
async def approve_order(request: Request[Any, Any, Any], order_id: FromPath[str]) -> Response[Any]:
    return await _decide_order(request, order_id, "approve")


@post("/orders/{order_id:str}/reject")
async def reject_order(request: Request[Any, Any, Any], order_id: FromPath[str]) -> Response[Any]:
    return await _decide_order(request, order_id, "reject")


@post("/orders/{order_id:str}/cancel")
async def cancel_order(request: Request[Any, Any, Any], order_id: FromPath[str]) -> Response[Any]:
    return await _decide_order(request, order_id, "cancel")


@post("/change-requests/{request_id:str}/{decision:str}")
async def decide_change(
    request: Request[Any, Any, Any], request_id: FromPath[str], decision: FromPath[str]
) -> Response[Any]:
    me = me_of(request)
    locale = locale_of(request, me.principal)
    form = await request.form()
    order_id = _order_uuid(_form_text(form, "order_id"))
    parsed = parse_uuid(request_id)
    if parsed is None or decision not in ("approve", "reject"):
        raise NotFound("no such change request")
    if not allows(me.principal.role, Permission.APPROVE):
        return await order_page(
            request, order_id, error=translate("Your role does not allow this.", locale), status=403
        )
    try:
        await changes.decide(me.principal, parsed, approve=decision == "approve", reason=_form_text(form, "reason"))
    except (PermissionDenied, Conflict, ValidationFailed) as exc:
        return await order_page(request, order_id, error=_refusal(exc, locale, "change"), status=exc.status)
    flash(request, translate("Change request decided.", locale))
    return Redirect(f"/console/orders/{order_id}", status_code=303)


@post("/orders/{order_id:str}/change-requests/{kind:str}")
async def file_change(request: Request[Any, Any, Any], order_id: FromPath[str], kind: FromPath[str]) -> Response[Any]:
    """One of the order page's "Request a change" forms: filed with :func:`changes.file`, as the API
    files it, with the signed-in user as the requester; another person decides it."""
    me = me_of(request)
    parsed_id = _order_uuid(order_id)
    if kind not in CHANGE_KINDS:
        raise NotFound("no such kind of change request")
    locale = locale_of(request, me.principal)
    if not me.may("write"):  # the API route's permission
        return await order_page(
            request, parsed_id, error=translate("Your role does not allow this.", locale), status=403
        )
    form = await request.form()
    order = await reading.get_order(me.principal.tenant_id, parsed_id)
    parsed = parse_change_form(kind, form, {line.line_no: line.quantity for line in order.lines}, locale)
    values = {f"cr.{kind}.{name}": value for name, value in parsed.values.items()}
    not_filed = translate("The change request was not filed. Check the marked fields.", locale)
    if parsed.data is None:
        errors = errors_of_change(kind, parsed.errors)
        return await order_page(request, parsed_id, error=not_filed, errors=errors, values=values, status=422)
    data = parsed.data
    form_id = _form_text(form, "form_id", 100) or None
    try:
        await run_idempotent(
            me.principal.tenant_id,
            f"console:{form_id}" if form_id else None,
            f"orders.change_requests.{kind}",
            {"order_id": str(parsed_id), "change": data},
            ChangeRequestRead,
            lambda: changes.file(me.principal, parsed_id, data),
        )
    except ValidationFailed as exc:
        found = exc.errors or [FieldError("_", exc.detail)]
        errors = errors_of_change(kind, [FieldError(change_input(e.field), e.message) for e in found])
        return await order_page(request, parsed_id, error=not_filed, errors=errors, values=values, status=422)
    except (PermissionDenied, Conflict) as exc:
        return await order_page(
            request, parsed_id, error=_refusal(exc, locale, "change"), values=values, status=exc.status
        )
    flash(request, translate("Change requested; another person approves or rejects it.", locale))
    return Redirect(f"/console/orders/{parsed_id}#change-requests", status_code=303)


def errors_of_change(kind: str, errors: list[FieldError]) -> dict[str, list[str]]:
    """Errors keyed like the order page's inputs of the ``kind`` form: ``cr.<kind>.<input>``."""
    found: dict[str, list[str]] = {}
    for error in errors:
        found.setdefault(f"cr.{kind}.{error.field}", []).append(error.message)
    return found


# --- manual order -------------------------------------------------------------------------------


def _new_order_page(
    request: Request[Any, Any, Any], values: dict[str, str], errors: dict[str, list[str]], status: int = 200
) -> Template:
    return render(
        request,
        "new_order.html",
        status=status,
        values=values,
        errors=errors,
        rows=range(LINE_ROWS),
        form_id=str(uuid.uuid4()),
        incoterms=("DAP", "DDP", "EXW", "FCA", "CPT", "CIP", "DPU", "FAS", "FOB", "CFR", "CIF"),
    )


@get("/orders/new")
async def new_order_form(request: Request[Any, Any, Any]) -> Template:
    me = me_of(request)
    if not me.may("write"):
        raise PermissionDenied("your role may not enter orders")
    return _new_order_page(request, {"currency": me.principal.base_currency, "channel_detail": "phone"}, {})


@post("/orders/new")
async def create_manual_order(request: Request[Any, Any, Any]) -> Response[Any]:
    me = me_of(request)
    if not me.may("write"):
        raise PermissionDenied("your role may not enter orders")
    form = await request.form()
    values = {k: v for k, v in form.items() if isinstance(v, str) and k != CSRF_FIELD}
    parsed = parse_order_form(form)
    if parsed.order is None:
        return _new_order_page(request, values, errors_by_input(parsed.errors), status=422)
    order_data = parsed.order
    form_id = _form_text(form, "form_id", 100) or None
    try:
        created = await intake.create_order_once(me.principal, order_data, f"console:{form_id}" if form_id else None)
    except ValidationFailed as exc:
        found = [to_form_field(e, parsed.row_of_line) for e in exc.errors] or [FieldError("_", exc.detail)]
        return _new_order_page(request, values, errors_by_input(found), status=422)
    except Conflict as exc:
        return _new_order_page(request, values, {"external_ref": [exc.detail]}, status=409)
    flash(request, translate("Order {number} entered.", locale_of(request, me.principal)).format(number=created.number))
    return Redirect(f"/console/orders/{created.id}", status_code=303)


# --- import -------------------------------------------------------------------------------------


@get("/import")
async def import_page(request: Request[Any, Any, Any]) -> Template:
    if not me_of(request).may("write"):
        raise PermissionDenied("your role may not import orders")
    return render(request, "import.html", report=None, error=None)


@post("/import", request_max_body_size=MAX_IMPORT_BYTES)
async def import_upload(request: Request[Any, Any, Any]) -> Template:
    me = me_of(request)
    if not me.may("write"):
        raise PermissionDenied("your role may not import orders")
    form = await request.form()
    upload = form.get("file")
    locale = locale_of(request, me.principal)
    if not isinstance(upload, UploadFile):
        return render(request, "import.html", status=422, report=None, error=translate("Choose a file.", locale))
    content = await upload.read()
    if not content:
        return render(request, "import.html", status=422, report=None, error=translate("The file is empty.", locale))
    try:
        report = await imports.import_orders(me.principal, upload.filename or "upload.csv", content)
    except ValidationFailed as exc:
        return render(request, "import.html", status=422, report=None, error=exc.detail)
    return render(request, "import.html", report=report, error=None)


HANDLERS = [
    console_home,
    login_page,
    login,
    logout,
    password_page,
    change_password,
    set_language,
    queue,
    new_order_form,
    create_manual_order,
    show_order,
    approve_order,
    reject_order,
    cancel_order,
    decide_change,
    file_change,
    import_page,
    import_upload,
]
