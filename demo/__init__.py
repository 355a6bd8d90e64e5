"""The local demo (``python3 dev.py demo``, i.e. ``python -m demo``): see :mod:`demo.__main__`."""
