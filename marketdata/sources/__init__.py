"""Market-data sources behind one protocol, each returning a MarketSnapshot."""
