"""The picture pipeline: a file on disk in, a finished frame of pixels out.

Decoding (Pillow), resampling, composing the caption band, glyphs and the
pixel format of the panel. Run by the decode worker, never by the render loop.
"""
