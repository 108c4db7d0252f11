"""Google Places API (New) behind the restaurant directory port."""
