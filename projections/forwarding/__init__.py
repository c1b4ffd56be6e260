"""Forwarding statements to other LRSs and webhooks: consumers of the log.

Each target is a consumer of the projection platform with a checkpoint of its own
(``fw:<id>:<position it was added at>``): ``delivery`` sends one batch over HTTP,
``consumer`` turns a batch of log events into those requests, ``forwarder`` runs
every target (retries with backoff, pausing a target that keeps failing, status).
"""
