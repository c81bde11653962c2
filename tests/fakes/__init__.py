"""Fakes shared by the tests: exchange websocket servers, an HTTP server, a recording sink."""
