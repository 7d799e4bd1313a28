"""The orders domain's one data-access seam: every SQL statement of hub/orders lives in this package.

One module per aggregate (orders, products, ...); the service modules call their functions and get
typed rows back, never a cursor or a statement. ``tests/unit/test_layering.py`` holds the rest of
hub/orders to that.
"""
