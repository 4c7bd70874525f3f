import pygame
import pytest

from kiosk.compose import Layout
from kiosk.config import DEFAULT_FONT
from kiosk.display import Screen
from kiosk.frames import Frame, FrameKey


@pytest.fixture
def screen():
    screen = Screen((64, 36), windowed=True)
    yield screen
    screen.close()


def solid_frame(colour, size=(64, 36)):
    key = FrameKey("x", (0, 0), "", "answer", Layout(size=size, font=DEFAULT_FONT))
    return Frame(key, size, bytes(colour) * (size[0] * size[1]))


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
    assert screen.commands() == ["quit"]  # Escape quits only because this is a window
    fullscreen = Screen((64, 36), windowed=False)
    fullscreen.windowed = False
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_ESCAPE, mod=0))
    assert fullscreen.commands() == []
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_q, mod=pygame.KMOD_LCTRL))
    assert screen.commands() == ["quit"]


def test_window_close_quits(screen):
    screen.open()
    pygame.event.post(pygame.event.Event(pygame.QUIT))
    assert screen.commands() == ["quit"]


def test_save_writes_a_png(screen, tmp_path):
    screen.open()
    screen.show(screen.surface_for(solid_frame((1, 2, 3))))
    screen.save(str(tmp_path / "shot.png"))
    assert pygame.image.load(str(tmp_path / "shot.png")).get_at((0, 0))[:3] == (1, 2, 3)


def test_maintenance_keys(screen):
    screen.open()
    for key in (pygame.K_RIGHT, pygame.K_LEFT, pygame.K_SPACE, pygame.K_i):
        pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=key, mod=0))
    assert screen.commands() == ["next", "previous", "pause", "info"]


def test_info_overlay_is_drawn_over_the_picture():
    from kiosk.config import DEFAULT_FONT

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
