"""Piccolo app config of the customs package."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from customs.tables import TABLES

APP_CONFIG = AppConfig(
    app_name="customs",
    migrations_folder_path=Path(__file__).resolve().parent.parent / "migrations" / "customs",
    table_classes=TABLES,
    migration_dependencies=["tenants.piccolo_app", "hub.piccolo_app"],
    commands=[],
)
