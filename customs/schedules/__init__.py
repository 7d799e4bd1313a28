"""Official tariff schedules: importers, duty expressions as measures, storage and quote matching.

* :mod:`customs.schedules.model`: what every importer produces (:class:`ParsedSchedule`).
* :mod:`customs.schedules.expressions`: duty expressions (``6.5% + 2.8¢/kg``) parsed and evaluated.
* :mod:`customs.schedules.parsers`: one pure parser per published format (UK, US, EU).
"""
