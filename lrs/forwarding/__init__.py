"""Forwarding: targets (another LRS, a webhook) configured as events in the log.

``targets`` is the service that records them, ``filters`` decides which statements
a target gets, ``urls`` keeps target addresses off private networks, ``signing``
signs webhook bodies, ``translate`` turns 2.0 statements into 1.0.3 ones. Delivery
itself is a consumer of the log: projections/forwarding.
"""
