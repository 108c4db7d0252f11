"""OpenWeatherMap behind the weather port."""
