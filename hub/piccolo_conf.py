"""Piccolo configuration (``PICCOLO_CONF=hub.piccolo_conf``): one engine and the app registry."""

from piccolo.conf.apps import AppRegistry

from hub.core.database import DB

__all__ = ["APP_REGISTRY", "DB"]

APP_REGISTRY = AppRegistry(
    apps=["tenants.piccolo_app", "hub.piccolo_app", "customs.piccolo_app", "carriers.piccolo_app"]
)
