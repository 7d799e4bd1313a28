"""For the ``piccolo`` command line run from the repository root; the hub itself uses hub.piccolo_conf."""

from hub.piccolo_conf import APP_REGISTRY, DB

__all__ = ["APP_REGISTRY", "DB"]
