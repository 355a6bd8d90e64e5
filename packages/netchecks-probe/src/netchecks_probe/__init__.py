"""The netchecks probe: run DNS, HTTP, TCP and database checks and judge them with CEL.

Importing this package is cheap on purpose (``netchecks --version`` must be fast):
modules import their heavy dependencies only when a command needs them.
"""
