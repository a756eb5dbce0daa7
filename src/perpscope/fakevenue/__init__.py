"""A fake venue on loopback for tests and the simulator: real wire formats, scripted markets, injected faults."""

from perpscope.fakevenue.faults import NO_FAULTS, FaultPlan, HttpFault
from perpscope.fakevenue.ledger import Ledger, record_key
from perpscope.fakevenue.server import FakeVenue

__all__ = ["NO_FAULTS", "FakeVenue", "FaultPlan", "HttpFault", "Ledger", "record_key"]
