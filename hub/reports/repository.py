"""The reports' SQL: aggregates only, computed by PostgreSQL, run inside the caller's tenant transaction.

Every statement names ``tenant_id`` (the leading column of the indexes it uses) and runs under
row-level security. Days are the tenant's: ``created_at AT TIME ZONE tz`` is the local time.
"""

from __future__ import annotations

import uuid
from typing import Any

from hub.core.database import fetch
from hub.reports.schemas import Interval, ReportPeriod

# Leaving these out of revenue: the money never came (or went back before shipping).
NOT_REVENUE = ("cancelled", "rejected")


async def orders_aggregates(tenant_id: uuid.UUID, period: ReportPeriod, interval: Interval) -> list[dict[str, Any]]:
    """One scan, three groupings: (bucket, currency, counted), (channel, currency, counted), (status).

    ``counted`` is whether the order's total counts as revenue; ``set`` names the grouping of a row.
    """
    return await fetch(
        """
        WITH o AS (
            SELECT date_trunc({}, created_at AT TIME ZONE {})::date AS bucket, channel, status, currency,
                   status <> ALL({}::text[]) AS counted, total
            FROM orders
            WHERE tenant_id = {} AND created_at >= {} AND created_at < {}
        )
        SELECT CASE WHEN grouping(bucket) = 0 THEN 'bucket' WHEN grouping(channel) = 0 THEN 'channel'
                    ELSE 'status' END AS set,
               bucket, channel, status, currency, counted, count(*) AS n, sum(total) AS amount
        FROM o
        GROUP BY GROUPING SETS ((bucket, currency, counted), (channel, currency, counted), (status))
        """,
        interval,
        period.timezone,
        list(NOT_REVENUE),
        tenant_id,
        period.start,
        period.end,
    )
