"""Reports over a date range in the tenant's time zone: orders, reviews, landed cost, shipping, work items.

Every figure is an aggregate computed by PostgreSQL inside the tenant transaction (row-level security
applies); no order is loaded into Python. The public surface is :mod:`hub.reports.service` (one async
function per report, each returning a Struct of :mod:`hub.reports.schemas`) and
:func:`hub.reports.service.parse_period`, which the API and the console share.
"""

from __future__ import annotations
