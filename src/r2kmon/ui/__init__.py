"""The Textual terminal UI. Nothing outside this package imports it (checked by
import-linter), so the runtime, the analytics and ``snapshot`` run without Textual."""
