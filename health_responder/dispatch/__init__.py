"""Dispatches: a provider's shipment of reserved stock to a city, and the city's receipt."""
