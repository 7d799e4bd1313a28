"""The only cross-tenant paths. Each name opens exactly the policies written for it in migrations.

| path               | who                         | may                                             |
| ------------------ | --------------------------- | ----------------------------------------------- |
| authenticate       | auth middleware, console    | SELECT api_keys, users, tenants by key hash;    |
|                    | sign-in and sessions        | console_sessions by token hash                  |
| tenant-directory   | CLI (``key create``)        | SELECT tenants by slug                          |
| outbox-relay       | worker relay loop           | SELECT/UPDATE outbox rows of every tenant       |
| webhook-endpoint   | inbound webhook router      | SELECT the account owning an endpoint token     |
| carrier-sweep      | carrier cron jobs           | SELECT active carrier accounts of every tenant  |
| report-refresh     | report rollup cron job      | SELECT the dirty-day marks of every tenant      |

Everything else runs in ``tenant_tx`` and sees one tenant only.
"""

from __future__ import annotations

from enum import StrEnum


class SystemPath(StrEnum):
    AUTHENTICATE = "authenticate"
    TENANT_DIRECTORY = "tenant-directory"
    OUTBOX_RELAY = "outbox-relay"
    WEBHOOK_ENDPOINT = "webhook-endpoint"
    CARRIER_SWEEP = "carrier-sweep"
    REPORT_REFRESH = "report-refresh"
