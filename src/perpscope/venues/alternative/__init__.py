"""alternative.me: the Crypto Fear & Greed Index (a daily market-wide sentiment series, 0-100), public REST.

Stored in the ``sentiment`` table as :class:`perpscope.models.SentimentIndex` rows: ``venue`` is the publisher,
``symbol`` ``BTC`` because the index is computed from Bitcoin's market (volatility, volume, dominance, searches),
``native_symbol`` the API's own name for the series (its path, ``/fng/``)."""

SOURCE = "alternative.me"
SERIES = "fear_greed"
SYMBOL = "BTC"
NATIVE_SYMBOL = "fng"
