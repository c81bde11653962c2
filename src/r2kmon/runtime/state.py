"""Where :class:`~r2kmon.model.state.AppState` was defined; it lives in the model now
(every layer above the model reads it). Kept importable from here."""

from r2kmon.model.state import AppState as AppState
