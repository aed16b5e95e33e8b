"""Market data: chains, spots, rates and dividends from the bundled demo snapshot, yfinance, CSV
files and the local snapshot store; cleaning, parity forwards, calendars and the vol surface."""
