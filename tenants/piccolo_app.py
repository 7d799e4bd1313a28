"""Piccolo app config of the tenants package."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from tenants.tables import ApiKey, ConsoleSession, Tenant, User

APP_CONFIG = AppConfig(
    app_name="tenants",
    migrations_folder_path=Path(__file__).resolve().parent.parent / "migrations" / "tenants",
    table_classes=[Tenant, User, ApiKey, ConsoleSession],
    migration_dependencies=[],
    commands=[],
)
