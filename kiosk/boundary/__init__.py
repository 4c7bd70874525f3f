"""The boundaries to the outside world, one seam each.

The screen (pygame), the slide folder and its watcher, the decode worker,
the sync client and the publisher, the state, play-log and status files,
systemd, the display's power commands and the system clock. Tests replace
each with a working fake or drive it against real files and servers.
"""
