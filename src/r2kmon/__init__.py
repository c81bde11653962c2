"""r2kmon: is risk appetite turning on, and is it reaching crypto?

Only the version lives here, so that importing ``r2kmon`` never pulls in the UI.
"""

__version__ = "0.1.0"
