"""Retry, retry budgets and circuit breakers that wrap every upstream adapter."""
