"""Live collection: websocket sessions, REST polls and backfill, batched into the idempotent store.

The pieces are independent and small: :mod:`session` (one websocket as an async iterator of frames),
:mod:`http` (rate-limited REST with retries), :mod:`writer` (batches of at most one second), :mod:`recorder`
(raw frames on disk, and replay), :mod:`gaps` (what a reconnect cost), :mod:`status` (counters), and
:mod:`collector` wiring them to the venues' :class:`~perpscope.collect.connector.Connector`.
"""
