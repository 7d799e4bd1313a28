"""AfterShip Tracking: signed tracking webhooks and polling (``GET /trackings``); no labels."""

from carriers.aftership.proxy import AfterShipGateway, create_gateway
from carriers.aftership.settings import AfterShipSettings

__all__ = ["AfterShipGateway", "AfterShipSettings", "create_gateway"]
