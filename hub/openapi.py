"""The error answers of the OpenAPI document, derived from the code rather than written per route.

Litestar documents a success status per operation and, for any handler with parameters, a ``400``
with its own ``{status_code, detail, extra}`` JSON body. The hub answers neither that way: every
error leaves as RFC 9457 ``application/problem+json`` (:mod:`hub.problems`), request validation is a
``422`` and the statuses come from the :mod:`hub.core.errors` tree. :func:`document_errors` replaces
each operation's error responses with the statuses that operation can really answer, all of them
``application/problem+json`` bodies of one shared ``ProblemDetails`` component.

Where a status comes from, per operation (route handler and method):

* **the code the handler reaches**: the handler function, its guards and dependencies, and every
  function of ours they refer to, followed through module attributes, closures, ``self``, lambdas
  and local imports. Each :class:`~hub.core.errors.AppError` subclass named on the way (``raise
  Conflict(...)``, ``failure = ServiceUnavailable(...)``) contributes its ``status``. Names in
  ``except`` clauses and ``isinstance`` tests are catches, not raises, and are skipped;
* **what the composition does before the handler runs**, which no handler names:

  - ``401`` on every operation behind the API-key middleware (not under :data:`hub.auth.PUBLIC_PATHS`
    nor ``opt={"public": True}``), as :mod:`hub.auth` decides;
  - ``403`` on every operation that requires a permission (``opt=requires(...)``, which that
    middleware checks: :mod:`tenants.guards`);
  - ``404`` on every operation with a path parameter: a value that names nothing;
  - a request body: ``400`` (bytes that are not JSON, not UTF-8, nested past msgspec's limit),
    ``413`` (``request_max_body_size``) and ``422`` (fields); a JSON body also ``415``
    (:func:`hub.bodies.check_json_body` refuses another ``Content-Type``);
  - a handler that reads the raw body itself (``request.body()``...): ``400`` and ``413``;
  - a query or header parameter: ``422`` naming it (Litestar's validation, and
    :func:`hub.bodies.check_json_body`'s refusal of a NUL character, which PostgreSQL cannot store);
    a path parameter Litestar converts (not a plain string): ``422`` too.

A status the handler declares itself (``responses={503: ResponseSpec(...)}``, as ``/ready`` does for
its body) is kept as declared. Public operations get ``security: []``: the document's global API-key
requirement does not apply to them (webhooks authenticate by signature and answer ``401`` for a bad
one, which the code analysis finds).

A route added tomorrow gets its statuses without an edit here. ``tests/api/test_openapi_errors.py``
holds the document to this, and every API test's response is checked against it
(``tests/conftest.py``): a status an operation answers but does not declare fails the test that
caused it.
"""

from __future__ import annotations

import ast
import contextlib
import functools
import importlib
import inspect
import sys
import types
import uuid
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Annotated, Any, Literal, cast

import msgspec
from litestar import Litestar
from litestar.handlers.http_handlers import HTTPRouteHandler
from litestar.openapi.spec import Components, OpenAPIHeader, OpenAPIMediaType, OpenAPIResponse, Operation, Reference
from litestar.openapi.spec import Schema as SpecSchema
from litestar.routes import HTTPRoute

from carriers.base import Message
from customs.documents.preflight import Finding
from hub.auth import is_public_path
from hub.core.errors import (
    AppError,
    BadRequest,
    FieldError,
    NotFound,
    PayloadTooLarge,
    PermissionDenied,
    Unauthenticated,
    UnsupportedMediaType,
    ValidationFailed,
)
from tenants.guards import required_permission

__all__ = [
    "PROBLEM_JSON",
    "PROBLEM_SCHEMA",
    "ProblemDetails",
    "document_errors",
    "error_classes",
    "raised_errors",
]

PROBLEM_JSON = "application/problem+json"
PROBLEM_SCHEMA = "ProblemDetails"
_ROOT = Path(__file__).resolve().parent.parent
"""Code under here is ours (the hub, tenants, customs, carriers... and any package added later)."""
_JSON_MEDIA = ("application/json",)
_RAW_BODY_READERS = frozenset({"body", "json", "form", "stream", "msgpack"})


# --- the one problem schema ------------------------------------------------------------------------


class ProblemDetails(msgspec.Struct, kw_only=True):
    """An RFC 9457 problem, as :func:`hub.problems.problem_response` writes it.

    ``type``, ``title``, ``status`` and ``detail`` are always present; ``errors`` names each bad field
    (always on a ``422``). The other members are the extension members the hub's errors carry
    (``AppError(extra=...)``), each only where it applies; a test fails when the code raises one that
    is not listed here.
    """

    type: Annotated[
        str, msgspec.Meta(description="Stable URI of the problem type", extra_json_schema={"format": "uri"})
    ]
    title: Annotated[str, msgspec.Meta(description="Short, localized summary of the problem type")]
    status: Annotated[int, msgspec.Meta(ge=400, le=599, description="The HTTP status of this answer")]
    detail: Annotated[str, msgspec.Meta(description="What went wrong this time; may quote the request")]
    errors: Annotated[
        list[FieldError] | msgspec.UnsetType, msgspec.Meta(description="Each bad field: a JSON path and why")
    ] = msgspec.UNSET
    field: Annotated[
        str | msgspec.UnsetType, msgspec.Meta(description="The request field or header the conflict is about")
    ] = msgspec.UNSET
    retry_after: Annotated[
        int | msgspec.UnsetType,
        msgspec.Meta(description="Seconds to wait before sending the request again (also a Retry-After header)"),
    ] = msgspec.UNSET
    current_status: Annotated[
        str | msgspec.UnsetType, msgspec.Meta(description="The state of the object that refused the request")
    ] = msgspec.UNSET
    existing_id: Annotated[
        uuid.UUID | msgspec.UnsetType, msgspec.Meta(description="The object an Idempotency-Key already made")
    ] = msgspec.UNSET
    existing_order_id: Annotated[
        uuid.UUID | msgspec.UnsetType, msgspec.Meta(description="The order that already has this channel reference")
    ] = msgspec.UNSET
    existing_order_number: Annotated[str | msgspec.UnsetType, msgspec.Meta(description="That order's number")] = (
        msgspec.UNSET
    )
    shipment_id: Annotated[uuid.UUID | msgspec.UnsetType, msgspec.Meta(description="The shipment concerned")] = (
        msgspec.UNSET
    )
    carrier_shipment_id: Annotated[
        str | msgspec.UnsetType, msgspec.Meta(description="The carrier's own id of that shipment")
    ] = msgspec.UNSET
    reserved: Annotated[
        int | msgspec.UnsetType, msgspec.Meta(description="Units reserved by open orders (stock cannot go below)")
    ] = msgspec.UNSET
    key_kind: Annotated[
        Literal["integration"] | msgspec.UnsetType, msgspec.Meta(description="The kind of API key that was refused")
    ] = msgspec.UNSET
    carrier: Annotated[str | msgspec.UnsetType, msgspec.Meta(description="The carrier concerned")] = msgspec.UNSET
    messages: Annotated[list[Message] | msgspec.UnsetType, msgspec.Meta(description="What the carrier answered")] = (
        msgspec.UNSET
    )
    findings: Annotated[
        list[Finding] | msgspec.UnsetType, msgspec.Meta(description="The customs pre-flight findings, blocking first")
    ] = msgspec.UNSET


def _problem_components() -> dict[str, Any]:
    """msgspec's JSON Schema of :class:`ProblemDetails`, its parts named ``ProblemDetails.<Part>``.

    The parts are prefixed so that they never replace a component of the same name that Litestar
    generated (the orders domain has its own ``Finding``).
    """
    _, parts = msgspec.json.schema_components([ProblemDetails], ref_template="{name}")

    def name_of(part: str) -> str:
        return PROBLEM_SCHEMA if part == ProblemDetails.__name__ else f"{PROBLEM_SCHEMA}.{part}"

    def rewrite(node: Any) -> Any:
        if isinstance(node, dict):
            return {
                key: f"#/components/schemas/{name_of(value)}" if key == "$ref" else rewrite(value)
                for key, value in node.items()
            }
        if isinstance(node, list):
            return [rewrite(item) for item in node]
        return node

    components = {name_of(part): rewrite(schema) for part, schema in parts.items()}
    components[PROBLEM_SCHEMA]["description"] = (
        "An RFC 9457 problem. type, title, status and detail are always present; errors names each bad "
        "field (always on a 422). The other members are extension members, each present where it applies."
    )
    return components


# --- which errors a handler's code can raise ------------------------------------------------------


@functools.cache
def _is_our_file(filename: str) -> bool:
    path = Path(filename).resolve()
    return path.is_relative_to(_ROOT) and not {".venv", "site-packages"} & set(path.parts)


def _in_project(obj: object) -> bool:
    module = sys.modules.get(getattr(obj, "__module__", None) or "")
    filename = getattr(module, "__file__", None)
    return filename is not None and _is_our_file(filename)


def _is_error_class(obj: object) -> bool:
    return isinstance(obj, type) and issubclass(obj, AppError)


def _function_of(obj: object) -> types.FunctionType | None:
    """The plain function behind ``obj`` (a method, a static/class method, a partial, a wrapper)."""
    if isinstance(obj, staticmethod | classmethod):
        obj = obj.__func__
    if isinstance(obj, property):
        obj = obj.fget
    if isinstance(obj, functools.partial):
        obj = obj.func
    if isinstance(obj, types.MethodType):
        obj = obj.__func__
    if isinstance(obj, HTTPRouteHandler):
        obj = obj.fn
    if callable(obj) and not isinstance(obj, type):
        try:
            obj = inspect.unwrap(cast("Callable[..., Any]", obj))
        except ValueError:  # a wrapper cycle
            return None
    return obj if isinstance(obj, types.FunctionType) and _in_project(obj) else None


class _Scope:
    """How names resolve inside one function: its closure, its globals, ``self``/``cls``, local imports."""

    def __init__(self, function: types.FunctionType, imports: list[ast.Import | ast.ImportFrom]) -> None:
        self.function = function
        self.names: dict[str, Any] = {}
        code = function.__code__
        for name, cell in zip(code.co_freevars, function.__closure__ or (), strict=False):
            try:
                self.names[name] = cell.cell_contents
            except ValueError:  # a cell not filled yet
                continue
        owner = self._owner()
        if owner is not None and code.co_argcount and code.co_varnames[0] in ("self", "cls"):
            self.names[code.co_varnames[0]] = owner
        for node in imports:  # imports inside the function (kept local to keep start-up light)
            if isinstance(node, ast.ImportFrom):
                if node.module and not node.level:
                    for alias in node.names:
                        self.names[alias.asname or alias.name] = _import_from(node.module, alias.name)
                continue
            for alias in node.names:
                # ``import a.b`` binds ``a``; ``import a.b as c`` binds ``c`` to ``a.b``.
                bound = alias.name if alias.asname else alias.name.partition(".")[0]
                self.names[alias.asname or bound] = _import(bound)

    def _owner(self) -> type | None:
        """The class a method is defined in, from its qualified name (``OrderController.create``)."""
        parts = self.function.__qualname__.split(".")[:-1]
        if not parts or "<locals>" in parts:
            return None
        obj: Any = inspect.getmodule(self.function)
        for part in parts:
            obj = getattr(obj, part, None)
        return obj if isinstance(obj, type) else None

    def lookup(self, name: str) -> Any:
        if name in self.names:
            return self.names[name]
        return self.function.__globals__.get(name)


def _import(module: str) -> types.ModuleType | None:
    """One of our modules (imported if a function imports it lazily); never a third-party one."""
    top = module.partition(".")[0]
    if module not in sys.modules and not ((_ROOT / top).is_dir() or (_ROOT / f"{top}.py").is_file()):
        return None
    try:
        return importlib.import_module(module)
    except Exception:
        return None


def _import_from(module: str, name: str) -> Any:
    imported = _import(module)
    if imported is None:
        return None
    if hasattr(imported, name):
        return getattr(imported, name)
    return _import(f"{module}.{name}")


def _attribute(obj: Any, name: str) -> Any:
    """``obj.name`` without running code: modules by ``getattr``, anything else statically."""
    if obj is None:
        return None
    if isinstance(obj, types.ModuleType):
        return getattr(obj, name, None)
    try:
        return inspect.getattr_static(obj, name)
    except AttributeError:
        return None


Definition = ast.FunctionDef | ast.AsyncFunctionDef


@functools.cache
def _definitions(filename: str) -> dict[int, Definition]:
    """Every function defined in one source file, by its first line (its first decorator's, if any)."""
    try:
        with open(filename, encoding="utf-8") as source:
            tree = ast.parse(source.read(), filename)
    except (OSError, SyntaxError, ValueError):
        return {}
    found: dict[int, Definition] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            found[node.lineno] = node
            for decorator in node.decorator_list:
                found.setdefault(decorator.lineno, node)
    return found


def _definition(function: types.FunctionType) -> Definition | None:
    code = function.__code__
    node = _definitions(code.co_filename).get(code.co_firstlineno)
    return node if node is not None and node.name == code.co_name else None


# Parts of the syntax that name an error without raising it: ``except X``, annotations.
_NOT_RAISED: dict[type[ast.AST], frozenset[str]] = {
    ast.ExceptHandler: frozenset({"type"}),
    ast.arg: frozenset({"annotation"}),
    ast.AnnAssign: frozenset({"annotation"}),
    ast.FunctionDef: frozenset({"returns"}),
    ast.AsyncFunctionDef: frozenset({"returns"}),
}


def _references(tree: ast.AST) -> tuple[list[ast.Name | ast.Attribute], list[ast.Import | ast.ImportFrom], bool]:
    """The names a definition loads (``isinstance(e, X)`` tests and the parts above left out), its
    imports, and whether it reads ``request``'s body itself."""
    names: list[ast.Name | ast.Attribute] = []
    imports: list[ast.Import | ast.ImportFrom] = []
    reads_raw_body = False
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Name | ast.Attribute) and isinstance(node.ctx, ast.Load):
            names.append(node)
            if (
                isinstance(node, ast.Attribute)
                and node.attr in _RAW_BODY_READERS
                and isinstance(node.value, ast.Name)
                and node.value.id == "request"
            ):
                reads_raw_body = True
        elif isinstance(node, ast.Import | ast.ImportFrom):
            imports.append(node)
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("isinstance", "issubclass")
            and len(node.args) == 2
        ):
            stack.append(node.args[0])
            continue
        left_out = _NOT_RAISED.get(type(node), frozenset())
        for name, value in ast.iter_fields(node):
            if name in left_out:
                continue
            if isinstance(value, ast.AST):
                stack.append(value)
            elif isinstance(value, list):
                stack.extend(item for item in value if isinstance(item, ast.AST))
    return names, imports, reads_raw_body


class _Facts(msgspec.Struct, frozen=True):
    """What one function's own source refers to (not what its callees do)."""

    errors: frozenset[type[AppError]]
    callees: tuple[types.FunctionType, ...]
    reads_raw_body: bool


_NO_FACTS = _Facts(errors=frozenset(), callees=(), reads_raw_body=False)


@functools.cache
def _facts(function: types.FunctionType) -> _Facts:
    tree = _definition(function)
    if tree is None:
        # A lambda: its body was walked with the function it is written in.
        return _NO_FACTS
    names, imports, reads_raw_body = _references(tree)
    scope = _Scope(function, imports)
    resolved: dict[int, Any] = {}

    def resolve(node: ast.expr) -> Any:
        if id(node) not in resolved:
            value: Any = None
            if isinstance(node, ast.Name):
                value = scope.lookup(node.id)
            elif isinstance(node, ast.Attribute):
                value = _attribute(resolve(node.value), node.attr)
            resolved[id(node)] = value
        return resolved[id(node)]

    errors: set[type[AppError]] = set()
    callees: dict[types.FunctionType, None] = {}
    for node in names:
        with contextlib.suppress(Exception):  # best effort: what does not resolve adds nothing
            for target in _targets(resolve(node)):
                if _is_error_class(target):
                    errors.add(target)
                elif target is not function:
                    callees[target] = None
    return _Facts(errors=frozenset(errors), callees=tuple(callees), reads_raw_body=reads_raw_body)


def _targets(obj: Any) -> Iterator[Any]:
    """The error classes and our functions that referring to ``obj`` may run."""
    if _is_error_class(obj):
        yield obj
        return
    function = _function_of(obj)
    if function is not None:
        yield function
        return
    if isinstance(obj, type) and _in_project(obj):
        # Making one of our objects runs its constructor and its checks.
        for name in ("__init__", "__post_init__", "__call__"):
            method = _function_of(obj.__dict__.get(name))
            if method is not None:
                yield method


class Reach(msgspec.Struct, frozen=True):
    """What the code behind one operation can do: the errors it names, whether it reads the body raw."""

    errors: frozenset[type[AppError]]
    reads_raw_body: bool


def raised_errors(roots: Iterable[object]) -> Reach:
    """Every :class:`AppError` subclass named by ``roots`` (functions, guards, handlers) or anything
    of ours they refer to, transitively."""
    pending = [function for root in roots if (function := _function_of(root)) is not None]
    seen: set[types.FunctionType] = set()
    errors: set[type[AppError]] = set()
    reads_raw_body = False
    first = set(pending)
    while pending:
        function = pending.pop()
        if function in seen:
            continue
        seen.add(function)
        facts = _facts(function)
        errors |= facts.errors
        # Only the handler itself (and its guards) hold the request: a helper's ``request`` is another object.
        reads_raw_body = reads_raw_body or (facts.reads_raw_body and function in first)
        pending.extend(callee for callee in facts.callees if callee not in seen)
    return Reach(errors=frozenset(errors), reads_raw_body=reads_raw_body)


# --- an operation's error statuses ----------------------------------------------------------------


def _is_public(path: str, handler: HTTPRouteHandler) -> bool:
    """As the API-key middleware decides (``hub.auth.auth_middleware``): a public prefix or ``opt``."""
    return is_public_path(path) or bool(handler.opt.get("public"))


def _parameters(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [parameter for parameter in document.get("parameters", []) if isinstance(parameter, dict)]


def error_classes(path: str, handler: HTTPRouteHandler, document: dict[str, Any]) -> dict[int, set[type[AppError]]]:
    """Status -> the error classes behind it, for one operation (``document`` is its OpenAPI object)."""
    roots: list[object] = [handler.fn, *handler.resolve_guards()]
    roots.extend(provider.dependency for provider in handler.resolve_dependencies().values())
    reach = raised_errors(roots)
    found: set[type[AppError]] = set(reach.errors)
    if not _is_public(path, handler):
        found.add(Unauthenticated)
    if required_permission(handler.opt) is not None:
        found.add(PermissionDenied)  # the API-key middleware checks it (tenants.guards)
    parameters = _parameters(document)
    if any(parameter.get("in") == "path" for parameter in parameters):
        found.add(NotFound)
    content: dict[str, Any] = (document.get("requestBody") or {}).get("content") or {}
    if content:
        found |= {BadRequest, PayloadTooLarge, ValidationFailed}
        if any(media.startswith(_JSON_MEDIA) or media.endswith("+json") for media in content):
            found.add(UnsupportedMediaType)
    if reach.reads_raw_body:
        found |= {BadRequest, PayloadTooLarge}
    if any(parameter.get("in") != "path" for parameter in parameters):
        # Litestar's validation of query and header values, and hub.bodies' NUL check of the query.
        found.add(ValidationFailed)
    converted = [p for p in parameters if p.get("in") == "path" and (p.get("schema") or {}).get("type") != "string"]
    if converted:
        found.add(ValidationFailed)  # a path value Litestar converts (an int, a UUID) and may refuse
    by_status: dict[int, set[type[AppError]]] = {}
    for error in found:
        if error.status >= 400 and error.status != 500:
            by_status.setdefault(error.status, set()).add(error)
    return by_status


def _description(errors: set[type[AppError]]) -> str:
    """The most general title first, then the problem types (``type`` URIs end in these codes)."""
    ordered = sorted(errors, key=lambda error: (len(error.__mro__), error.code))
    codes = ", ".join(error.code for error in ordered)
    return f"{ordered[0].title}. Problem types: {codes}."


def _problem_response(status: int, errors: set[type[AppError]]) -> OpenAPIResponse:
    headers = {
        "Content-Language": OpenAPIHeader(
            schema=SpecSchema(type=cast("Any", "string")),
            description="The language of title and detail",
            required=True,
        )
    }
    if status == 401:
        headers["WWW-Authenticate"] = OpenAPIHeader(
            schema=SpecSchema(type=cast("Any", "string")),
            description="The scheme to authenticate with (Bearer)",
            required=True,
        )
    return OpenAPIResponse(
        description=_description(errors),
        headers=cast("Any", headers),
        content={PROBLEM_JSON: OpenAPIMediaType(schema=Reference(ref=f"#/components/schemas/{PROBLEM_SCHEMA}"))},
    )


def _operations(app: Litestar) -> Iterator[tuple[str, HTTPRouteHandler, Operation]]:
    paths = app.openapi_schema.paths or {}
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or (item := paths.get(route.path_format or "/")) is None:
            continue  # a WebSocket or mount, or left out of the document (the console's pages)
        for handler in route.route_handlers:
            for method in handler.http_methods:
                operation = getattr(item, method.lower(), None)
                if isinstance(operation, Operation):
                    yield route.path_format or "/", handler, operation


def document_errors(app: Litestar) -> None:
    """Replace every operation's error responses by those its code can answer (see the module doc)."""
    openapi = app.openapi_schema
    components = openapi.components or Components()
    openapi.components = components
    # Plain JSON Schema (msgspec's), which Litestar's serializer writes as it is.
    schemas: dict[str, Any] = dict(components.schemas or {})
    schemas.update(_problem_components())
    components.schemas = schemas
    for path, handler, operation in _operations(app):
        document = operation.to_schema()  # a raw-body route's operation_class adds its body here
        declared = {str(status) for status in (handler.responses or {})}
        responses = {
            status: response
            for status, response in (operation.responses or {}).items()
            if not status.startswith(("4", "5")) or status in declared
        }
        for status, errors in sorted(error_classes(path, handler, document).items()):
            if str(status) not in declared:
                responses[str(status)] = _problem_response(status, errors)
        operation.responses = dict(sorted(responses.items()))
        if _is_public(path, handler):
            operation.security = []
