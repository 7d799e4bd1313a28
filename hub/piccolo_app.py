"""Piccolo app config of the hub (kernel tables and the orders domain)."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from hub.orders.tables import Product

APP_CONFIG = AppConfig(
    app_name="hub",
    migrations_folder_path=Path(__file__).resolve().parent.parent / "migrations" / "hub",
    table_classes=[Product],
    migration_dependencies=["tenants.piccolo_app"],
    commands=[],
)
