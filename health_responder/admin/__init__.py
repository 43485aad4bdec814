"""The administrator's pages: users and their tokens, and the reference data (networks, cities,
items, topics, providers and their locations). Each page calls the owning feature's services.
"""
