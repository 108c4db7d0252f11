"""The pure core of the gateway: models, errors, ports and policies.

Nothing here imports anything outside the standard library.
"""
