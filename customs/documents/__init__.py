"""Customs documents: pre-flight checks and rendering from an order snapshot (pure, no database).

* :mod:`customs.documents.snapshot`: the :class:`DocumentSnapshot` the orders domain builds;
* :mod:`customs.documents.preflight`: ``preflight(snapshot, doc_type, *, sdr_rates) -> list[Finding]``;
* :mod:`customs.documents.render`: ``render_pdf`` / ``render_json`` for commercial and proforma
  invoices, packing lists, CN22 and CN23;
* :mod:`customs.documents.rtl`: Arabic and Hebrew text shaped and in visual order, and the system
  fonts that draw it;
* :mod:`customs.documents.sdr`: the dated SDR table behind the 300 SDR CN22 limit.

Nothing here imports ``hub.orders`` or ``carriers``.
"""
