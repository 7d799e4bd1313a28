"""EasyPost: rates, label purchase, refunds and trackers over its REST API (``/v2``).

Request building and response parsing live in :mod:`carriers.easypost.mapper` (pure, tested
against the documentation's example payloads); :mod:`carriers.easypost.proxy` does the HTTP.
"""

from carriers.easypost.proxy import EasyPostGateway, create_gateway
from carriers.easypost.settings import EasyPostSettings

__all__ = ["EasyPostGateway", "EasyPostSettings", "create_gateway"]
