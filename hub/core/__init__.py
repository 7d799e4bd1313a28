"""The shared kernel: settings, errors, money, ids, database engine, outbox, pagination.

Nothing here imports a domain package; every domain package may import from here.
"""
