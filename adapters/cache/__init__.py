"""Cache tiers behind the cache port."""
