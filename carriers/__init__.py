"""Carriers: the adapters to each carrier, and the hub's booking and tracking built on them.

The whole package is pure of the orders domain (plain Structs in, results out; a shipment's new
status leaves as an outbox event, ``shipment_status_changed``). Only some of it is pure of the
database as well.

Pure (no database, no transaction; carrier problems are :class:`carriers.base.Message` data):

* :mod:`carriers.base` - the request/result Structs and the :class:`~carriers.base.CarrierGateway`
  protocol; one package per carrier implements it (:mod:`carriers.sandbox`,
  :mod:`carriers.easypost`, :mod:`carriers.aftership`);
* :mod:`carriers.registry` - :func:`~carriers.registry.create_gateway`, an adapter for an account's
  carrier, credentials and options;
* :mod:`carriers.units` - statuses, reasons, :func:`~carriers.units.next_status`,
  :func:`~carriers.units.event_dedup_key`;
* :mod:`carriers.signatures` - the ``Hub-Signature`` scheme (also for outbound seller webhooks);
* :mod:`carriers.http` - the shared ``httpx.AsyncClient``;
* :mod:`carriers.errors`, :mod:`carriers.schemas` - errors and the Structs at the HTTP edge.

Touching the database (each opens its ``tenant_tx``, or runs inside the caller's):

* :mod:`carriers.tables`, :mod:`carriers.piccolo_app`, :mod:`carriers.repository` - the tables and
  the queries on them;
* :mod:`carriers.accounts` - carrier accounts, credentials and webhook secrets encrypted at rest,
  :func:`~carriers.accounts.gateway_for` (an account's adapter);
* :mod:`carriers.inbound` - tracking webhooks: endpoint token, signature, raw storage, processing;
* :mod:`carriers.tracking` - events into shipments: de-duplicate, match, forward-only status;
* :mod:`carriers.booking` - rates, one label per idempotency key, cancel;
* :mod:`carriers.shipments` - reading shipments, their events and labels;
* :mod:`carriers.simulation` - the sandbox's simulated tracking timeline, posted to our own webhook;
* :mod:`carriers.sweeps` - the cron sweeps: polling, stale shipments, retiring trackers;
* :mod:`carriers.controllers` and :mod:`carriers.jobs` - the HTTP handlers and arq jobs over these.
"""
