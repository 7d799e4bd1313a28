"""The clerk web console: server-rendered pages (Jinja + htmx), signed in with the same users and roles."""

from __future__ import annotations

from pathlib import Path

from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template.config import TemplateConfig
from litestar.types import ControllerRouterHandler

TEMPLATES = Path(__file__).resolve().parent / "templates"

ROUTES: list[ControllerRouterHandler] = []


def template_config() -> TemplateConfig[JinjaTemplateEngine]:
    return TemplateConfig(directory=TEMPLATES, engine=JinjaTemplateEngine)
