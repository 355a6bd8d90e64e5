"""Report formats for CI systems, beside the JSON and table outputs."""
