import pygame
import pytest

from kiosk.picture.compose import Layout
from kiosk.core.assets import DEFAULT_FONT
from kiosk.boundary.display import Screen
from kiosk.core.frames import Frame, FrameKey


@pytest.fixture
def screen():
    screen = Screen((64, 36), windowed=True)
    yield screen
    screen.close()


def solid_frame(colour, size=(64, 36), pixel_format="RGB"):
    """A one-colour frame whose bytes are laid out as `pixel_format`, the way Pillow packs them."""
    from PIL import Image

    key = FrameKey("x", (0, 0), "", "answer", Layout(size=size, font=DEFAULT_FONT, pixel_format=pixel_format))
    return Frame(key, size, Image.new("RGB", size, colour).tobytes("raw", pixel_format))


def test_open_gives_the_panel_size_and_hides_the_cursor(screen):
    assert screen.open() == (64, 36)
    assert not pygame.mouse.get_visible()
    assert pygame.display.get_init()


def test_only_the_display_subsystem_is_started(screen):
    screen.open()
    assert not pygame.mixer.get_init()


def test_show_puts_a_frame_on_screen(screen, tmp_path):
    screen.open()
    screen.show(screen.surface_for(solid_frame((200, 10, 10))))
    assert pygame.display.get_surface().get_at((10, 10))[:3] == (200, 10, 10)


def test_frames_come_in_the_displays_own_layout_and_are_copied_not_converted(screen):
    screen.open()
    assert screen.pixel_format == "BGRX"  # XRGB8888 on a little-endian machine
    surface = screen.surface_for(solid_frame((200, 10, 30), pixel_format="BGRX"))
    display = pygame.display.get_surface()
    assert (surface.get_bitsize(), surface.get_masks()) == (display.get_bitsize(), display.get_masks())
    assert surface.get_at((3, 3))[:3] == (200, 10, 30)


@pytest.mark.parametrize("pixel_format", ["RGB", "RGBX", "BGRX"])
def test_every_layout_shows_the_right_colours(screen, pixel_format):
    screen.open()
    screen.show(screen.surface_for(solid_frame((200, 10, 30), pixel_format=pixel_format)))
    assert pygame.display.get_surface().get_at((10, 10))[:3] == (200, 10, 30)


def test_the_layout_is_read_from_the_surface_masks():
    from kiosk.boundary.display import display_pixel_format

    assert display_pixel_format(pygame.Surface((4, 4), 0, 32, (0xFF0000, 0xFF00, 0xFF, 0))) == "BGRX"
    assert display_pixel_format(pygame.Surface((4, 4), 0, 32, (0xFF, 0xFF00, 0xFF0000, 0))) == "RGBX"
    assert display_pixel_format(pygame.Surface((4, 4), 0, 24)) == "RGB"
    assert display_pixel_format(pygame.Surface((4, 4), 0, 16)) == "RGB"
    assert display_pixel_format(pygame.Surface((4, 4), pygame.SRCALPHA, 32)) == "RGB"


def test_blend_mixes_old_and_new(screen):
    screen.open()
    old = screen.surface_for(solid_frame((0, 0, 0)))
    new = screen.surface_for(solid_frame((200, 200, 200)))
    screen.blend(old, new, 0.5)
    red, green, blue = pygame.display.get_surface().get_at((5, 5))[:3]
    assert 80 <= red <= 120 and red == green == blue
    screen.blend(old, new, 0.0)
    assert pygame.display.get_surface().get_at((5, 5))[:3] == (0, 0, 0)


def test_ctrl_q_quits_but_a_stray_key_does_not(screen):
    screen.open()
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_q, mod=0))
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_a, mod=0))
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_ESCAPE, mod=0))
    assert screen.poll_input() == ["quit"]  # Escape quits only because this is a window
    fullscreen = Screen((64, 36), windowed=False)
    fullscreen.windowed = False
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_ESCAPE, mod=0))
    assert fullscreen.poll_input() == []
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_q, mod=pygame.KMOD_LCTRL))
    assert screen.poll_input() == ["quit"]


def test_window_close_is_told_apart_from_the_quit_keys(screen):
    screen.open()
    pygame.event.post(pygame.event.Event(pygame.QUIT))
    assert screen.poll_input() == ["close"]  # ends the show even with the keys off (kiosk.core.director.Director.quits)


def test_save_writes_a_png(screen, tmp_path):
    screen.open()
    screen.show(screen.surface_for(solid_frame((1, 2, 3))))
    screen.save(str(tmp_path / "shot.png"))
    assert pygame.image.load(str(tmp_path / "shot.png")).get_at((0, 0))[:3] == (1, 2, 3)


def test_maintenance_keys(screen):
    screen.open()
    for key in (pygame.K_RIGHT, pygame.K_LEFT, pygame.K_SPACE, pygame.K_i):
        pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=key, mod=0))
    assert screen.poll_input() == ["next", "previous", "pause", "info"]


def test_info_overlay_is_drawn_over_the_picture():
    from kiosk.core.assets import DEFAULT_FONT

    screen = Screen((320, 180), windowed=True, font_path=DEFAULT_FONT)
    screen.open()
    try:
        surface = screen.surface_for(solid_frame((0, 0, 200), size=(320, 180)))
        screen.show(surface, overlay=["kiosk 0.1.0", "box plaza-1"])
        display = pygame.display.get_surface()
        assert display.get_at((10, 10))[:3] != (0, 0, 200)  # the dark info box
        assert display.get_at((300, 170))[:3] == (0, 0, 200)  # the picture elsewhere
    finally:
        screen.close()


# --- the texture path (display.renderer), on SDL's software renderer here ---------------

from kiosk.boundary.screens import ChosenScreen, open_screen
from kiosk.boundary.texture_screen import TextureScreen


@pytest.fixture
def texture_screen():
    screen = TextureScreen((64, 36), windowed=True, accelerated=False)
    yield screen
    screen.close()


def saved_pixel(screen, tmp_path, at=(10, 10)):
    screen.save(str(tmp_path / "shot.png"))
    return pygame.image.load(str(tmp_path / "shot.png")).get_at(at)[:3]


def test_texture_screen_shows_frames(texture_screen, tmp_path):
    assert texture_screen.open() == (64, 36)
    texture_screen.show(texture_screen.surface_for(solid_frame((200, 10, 10))))
    assert saved_pixel(texture_screen, tmp_path) == (200, 10, 10)
    assert "software renderer" in texture_screen.driver
    assert texture_screen.pixel_format == "BGRX"
    texture_screen.show(texture_screen.surface_for(solid_frame((20, 100, 220), pixel_format="BGRX")))
    assert saved_pixel(texture_screen, tmp_path) == (20, 100, 220)


def test_texture_screen_blends(texture_screen, tmp_path):
    texture_screen.open()
    old = texture_screen.surface_for(solid_frame((0, 0, 0)))
    new = texture_screen.surface_for(solid_frame((200, 200, 200)))
    texture_screen.blend(old, new, 0.5)
    red, green, blue = saved_pixel(texture_screen, tmp_path)
    assert 80 <= red <= 120 and red == green == blue
    texture_screen.blend(old, new, 1.0)
    assert saved_pixel(texture_screen, tmp_path) == (200, 200, 200)


def test_texture_screen_draws_the_info_overlay(tmp_path):
    from kiosk.core.assets import DEFAULT_FONT

    screen = TextureScreen((320, 180), windowed=True, font_path=DEFAULT_FONT, accelerated=False)
    screen.open()
    try:
        screen.show(screen.surface_for(solid_frame((0, 0, 200), size=(320, 180))), overlay=["kiosk", "box"])
        assert saved_pixel(screen, tmp_path, (12, 12)) != (0, 0, 200)
        assert saved_pixel(screen, tmp_path, (300, 170)) == (0, 0, 200)
    finally:
        screen.close()


def test_auto_falls_back_to_surfaces_without_an_accelerated_renderer():
    screen = open_screen("auto", (64, 36), True, "kiosk", None)
    try:
        assert isinstance(screen, Screen)
    finally:
        screen.close()


def test_gpu_uses_textures_even_on_the_software_renderer():
    chosen = ChosenScreen("gpu", (64, 36), True, "kiosk", None)
    assert chosen.open() == (64, 36)
    try:
        assert "renderer" in chosen.driver
        chosen.show(chosen.surface_for(solid_frame((5, 6, 7))))
    finally:
        chosen.close()


def test_a_faded_in_texture_is_drawn_opaque_afterwards(texture_screen, tmp_path):
    """After its fade-in a frame must not stay in blend mode: SDL would blend it on every later draw."""
    texture_screen.open()
    old = texture_screen.surface_for(solid_frame((0, 0, 0)))
    new = texture_screen.surface_for(solid_frame((200, 200, 200)))
    texture_screen.blend(old, new, 0.5)
    assert new.blend_mode == 0 and new.alpha == 255
