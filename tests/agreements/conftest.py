"""Agreement tests call services outside a request, as reservations tests do: the same locale."""
from tests.reservations.conftest import _english  # noqa: F401  (the autouse fixture, shared)
