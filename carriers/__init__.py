"""Carrier adapters: one protocol (:class:`carriers.base.CarrierGateway`), one package per carrier.

Pure of the orders domain and of the database: plain Structs in, results (with carrier problems
as :class:`carriers.base.Message` data) out. Entry points:

* :func:`carriers.registry.create_gateway` - an adapter for a carrier account;
* :mod:`carriers.base` - the request/result Structs and the protocol;
* :mod:`carriers.units` - statuses, reasons, :func:`~carriers.units.next_status`,
  :func:`~carriers.units.event_dedup_key`;
* :mod:`carriers.signatures` - the ``Hub-Signature`` scheme (also for outbound seller webhooks);
* :mod:`carriers.http` - the shared ``httpx.AsyncClient``.
"""
