"""Funding and open-interest history from the long tail of venues, through ccxt's unified API.

ccxt is an optional dependency (``pip install 'perpscope[ccxt]'``) and heavy to import, so nothing here imports
it at module level: :mod:`.connector` loads it when a :class:`~.connector.CcxtHistory` opens.
"""
