"""The interim local demo (``python -m demo``): see ``__main__``."""
