"""Development tools of the repository, not published: kubesim and the local targets.

Tests, ``bench/`` and ``demo/`` import them; no product package does.
"""
