"""kubesim's conformance suite: each test states what the real API server does.

kubesim itself lives in :mod:`tools.kubesim`.
"""
