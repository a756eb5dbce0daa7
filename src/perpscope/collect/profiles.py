"""Named collection profiles: the venues, symbols, poll intervals and base URLs one word stands for.

``sim`` is the market served by ``perpscope sim serve`` on loopback: its three venues at consecutive ports from
``DEFAULT_PORT``, BTC only, and intervals for a fast-forwarded market (a wall second is an hour or more of market
time, so channels a venue keeps as REST history are followed page by page instead of sampled).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from perpscope.collect.connector import Intervals, VenueUrls

SIM_PORT = 17_801  # sim serve's default: binance here, bybit and okx on the next ports
SIM_VENUES = ("binance", "bybit", "okx")
THIRTY_DAYS_S = 30 * 86_400.0
SIM_SOURCE_PREFIX = "sim "


@dataclass(frozen=True)
class Profile:
    name: str
    venues: tuple[str, ...]
    symbols: tuple[str, ...]
    intervals: Intervals
    urls: dict[str, VenueUrls] = field(default_factory=dict)
    source_prefix: str = ""  # put before every stored record's source


SIM_INTERVALS = Intervals(
    open_interest_s=0.0,  # the latest value samples one point in hundreds: follow the history instead
    funding_s=1.0,
    other_s=1.0,
    open_interest_history_s=1.0,
    history_s=1.0,
    history_lookback_s=THIRTY_DAYS_S,  # the served market starts days before the present
)


def sim_urls(port: int = SIM_PORT) -> dict[str, VenueUrls]:
    return {
        venue: VenueUrls(f"http://127.0.0.1:{port + number}", f"ws://127.0.0.1:{port + number}")
        for number, venue in enumerate(SIM_VENUES)
    }


def sim(port: int = SIM_PORT) -> Profile:
    # "sim " before each source marks the rows as simulated (the report and the views say so): the venue names
    # are the real ones, the market is not.
    return Profile("sim", SIM_VENUES, ("BTC",), SIM_INTERVALS, sim_urls(port), source_prefix=SIM_SOURCE_PREFIX)


PROFILES = {"sim": sim}
