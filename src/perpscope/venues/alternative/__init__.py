"""alternative.me: the Crypto Fear & Greed Index (a daily market-wide sentiment series, 0-100), public REST."""

SOURCE = "alternative.me"
