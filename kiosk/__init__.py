"""kiosk: an unattended fullscreen slideshow for public plaza display boxes."""

__version__ = "0.1.0"

__all__ = ["__version__"]
