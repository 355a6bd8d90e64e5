"""Real servers that tests talk to (DNS, HTTP, TCP, PostgreSQL...)."""
