"""One pure parser per official schedule format: bytes in, :class:`~customs.schedules.model.ParsedSchedule` out."""
