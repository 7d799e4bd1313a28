"""Piccolo app config of the carriers package."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from carriers.tables import TABLES

APP_CONFIG = AppConfig(
    app_name="carriers",
    migrations_folder_path=Path(__file__).resolve().parent.parent / "migrations" / "carriers",
    table_classes=TABLES,
    migration_dependencies=["tenants.piccolo_app", "hub.piccolo_app"],
    commands=[],
)
