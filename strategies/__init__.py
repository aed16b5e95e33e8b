"""Multi-leg option strategies: legs, templates, payoff and P&L grids, scenarios, probabilities,
hedge sizing and position files."""
