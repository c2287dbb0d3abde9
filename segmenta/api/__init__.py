"""The JSON API (/api/v1/): thin routers over the domain apps."""
