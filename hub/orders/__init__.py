"""The orders domain: catalog, stock, customers, intake, review, approvals, change requests, timeline."""
