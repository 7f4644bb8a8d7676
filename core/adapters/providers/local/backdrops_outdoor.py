"""Backdrops with sky or windows: beach, street, park, car, airport."""

from __future__ import annotations

from core.adapters.providers.local.backdrop_kit import RGB, Canvas, mix, shade
from core.adapters.providers.local.scenes import SceneSpec


def sky_stops(spec: SceneSpec) -> list[tuple[float, RGB]]:
    if spec.night:
        return [(0.0, (14, 18, 44)), (1.0, (48, 46, 92))]
    if spec.sunset:
        return [(0.0, (86, 104, 170)), (0.55, (238, 150, 120)), (1.0, (255, 206, 140))]
    return [(0.0, (104, 164, 228)), (1.0, (206, 228, 246))]


def beach(c: Canvas, spec: SceneSpec) -> None:
    horizon = c.jitter(0.5, 0.03)
    c.paste_gradient(0.0, horizon, sky_stops(spec))
    sun_x = c.rng.choice((0.2, 0.8))
    sun = (255, 236, 200) if not spec.night else (230, 232, 240)
    c.glow(sun_x, horizon - 0.08, 0.16, sun, 0.55)
    c.ellipse(sun_x - 0.05, horizon - 0.11, sun_x + 0.05, horizon - 0.05, sun)
    for _ in range(3):
        x, y = c.rng.uniform(0.0, 0.9), c.rng.uniform(0.06, horizon - 0.2)
        c.ellipse(x, y, x + 0.28, y + 0.035, mix(sky_stops(spec)[-1][1], (255, 255, 255), 0.6))
    sea: RGB = (22, 40, 80) if spec.night else (30, 120, 170)
    c.paste_gradient(horizon, horizon + 0.16, [(0.0, shade(sea, 0.8)), (1.0, mix(sea, (120, 210, 220), 0.5))])
    for i in range(6):
        y = horizon + 0.02 + i * 0.024
        c.line([(c.rng.uniform(0, 0.3), y), (c.rng.uniform(0.6, 1.0), y)], mix(sea, (255, 255, 255), 0.35), 0.004)
    sand: RGB = (120, 110, 100) if spec.night else (236, 214, 170)
    c.paste_gradient(horizon + 0.16, 1.0, [(0.0, mix(sand, (255, 255, 255), 0.25)), (1.0, shade(sand, 0.9))])
    side = c.rng.choice((0.06, 0.94))
    trunk = (92, 70, 50)
    c.line([(side, 0.95), (side + 0.03, 0.6), (side + 0.01, 0.32)], trunk, 0.022)
    for dx, dy in ((-0.16, 0.06), (0.16, 0.05), (-0.1, -0.04), (0.12, -0.05), (0.0, 0.08)):
        c.line([(side + 0.01, 0.32), (side + 0.01 + dx, 0.32 + dy)], (46, 110, 60), 0.026)


def street(c: Canvas, spec: SceneSpec) -> None:
    c.paste_gradient(0.0, 0.6, sky_stops(spec))
    x = -0.05
    palette: list[RGB] = [(176, 120, 96), (150, 150, 160), (200, 180, 150), (120, 130, 150), (190, 160, 130)]
    while x < 1.05:
        w, top = c.rng.uniform(0.16, 0.3), c.rng.uniform(0.05, 0.35)
        wall = c.rng.choice(palette)
        wall = shade(wall, 0.45) if spec.night else wall
        c.rect(x, top, x + w, 0.78, wall)
        lit: RGB = (255, 214, 130) if spec.night else mix(wall, (200, 220, 240), 0.5)
        for row in range(int((0.7 - top) / 0.07)):
            for col in range(int(w / 0.07)):
                if c.rng.random() < 0.8:
                    wx, wy = x + 0.02 + col * 0.07, top + 0.04 + row * 0.07
                    c.rect(wx, wy, wx + 0.04, wy + 0.04, lit if c.rng.random() < 0.7 else shade(wall, 0.7))
        x += w + 0.01
    c.rect(0, 0.78, 1, 0.86, (150, 150, 150) if not spec.night else (60, 60, 70))
    c.rect(0, 0.86, 1, 1.0, (70, 72, 80) if not spec.night else (30, 30, 38))
    for lamp_x in (0.08, 0.92):
        c.line([(lamp_x, 0.86), (lamp_x, 0.4)], (50, 52, 60), 0.012)
        c.glow(lamp_x, 0.4, 0.05, (255, 220, 150), 0.9 if spec.night else 0.3)


def park(c: Canvas, spec: SceneSpec) -> None:
    c.paste_gradient(0.0, 0.7, sky_stops(spec))
    leaf: RGB = (40, 70, 50) if spec.night else (70, 140, 70)
    for _ in range(9):
        x, y, r = c.rng.uniform(-0.1, 1.1), c.rng.uniform(0.12, 0.45), c.rng.uniform(0.12, 0.22)
        c.line([(x, y + r * 0.3), (x, 0.75)], (90, 66, 48), 0.03)
        for _ in range(5):
            dx, dy = c.rng.uniform(-r * 0.6, r * 0.6), c.rng.uniform(-r * 0.35, r * 0.35)
            tone = shade(leaf, c.rng.uniform(0.85, 1.15))
            c.ellipse(x + dx - r * 0.6, y + dy - r * 0.35, x + dx + r * 0.6, y + dy + r * 0.35, tone)
    grass: RGB = (40, 70, 44) if spec.night else (110, 170, 90)
    c.paste_gradient(0.7, 1.0, [(0.0, grass), (1.0, shade(grass, 0.8))])
    c.polygon([(0.42, 0.7), (0.58, 0.7), (0.8, 1.0), (0.2, 1.0)], (200, 184, 150) if not spec.night else (80, 76, 70))


def car(c: Canvas, spec: SceneSpec) -> None:
    c.paste_gradient(0.0, 0.62, sky_stops(spec))
    trees: RGB = (30, 50, 40) if spec.night else (80, 130, 80)
    for i in range(8):
        x = i * 0.14 + c.rng.uniform(-0.03, 0.03)
        c.ellipse(x - 0.1, 0.34, x + 0.1, 0.52, shade(trees, c.rng.uniform(0.85, 1.1)))
    c.rect(0, 0.5, 1, 0.62, (96, 100, 108) if not spec.night else (40, 40, 50))
    interior: RGB = (46, 46, 52)
    c.polygon([(0, 0), (1, 0), (1, 0.07), (0, 0.12)], interior)  # headliner
    c.rect(0.0, 0.0, 0.07, 1.0, interior)  # pillars
    c.rect(0.93, 0.0, 1.0, 1.0, interior)
    c.rect(0.0, 0.62, 1.0, 1.0, (58, 56, 60))  # door panels / seats below the windows
    c.rect(0.22, 0.28, 0.78, 0.62, (36, 36, 40), radius=0.08)  # headrest and seat back
    c.line([(0.09, 0.66), (0.91, 0.66)], (90, 90, 96), 0.006)
    c.rect(0.1, 0.72, 0.2, 0.74, (120, 120, 126), radius=0.01)  # handle


def airport(c: Canvas, spec: SceneSpec) -> None:
    c.rect(0, 0, 1, 1, (214, 216, 220) if not spec.night else (60, 62, 72))
    c.paste_gradient(0.08, 0.62, sky_stops(spec), 0.0, 1.0)
    c.rect(0, 0.5, 1, 0.62, (120, 124, 128) if not spec.night else (40, 42, 50))
    px = c.rng.uniform(0.55, 0.7)
    body: RGB = (236, 238, 242) if not spec.night else (120, 124, 136)
    c.rect(px, 0.45, px + 0.4, 0.5, body, radius=0.02)
    c.polygon([(px + 0.14, 0.47), (px + 0.3, 0.47), (px + 0.2, 0.55)], shade(body, 0.9))
    c.polygon([(px + 0.34, 0.45), (px + 0.4, 0.38), (px + 0.42, 0.45)], (40, 90, 170))
    for i in range(8):
        x = i / 7
        c.line([(x, 0.08), (x, 0.62)], (90, 96, 104), 0.012)
    c.line([(0, 0.35), (1, 0.35)], (90, 96, 104), 0.008)
    c.rect(0, 0, 1, 0.08, (170, 172, 178) if not spec.night else (50, 52, 60))
    for i in range(6):
        c.glow(0.1 + i * 0.16, 0.04, 0.03, (255, 250, 230), 0.6)
    c.rect(0.04, 0.13, 0.3, 0.22, (30, 32, 40), radius=0.01)  # departures board, no text
    for row in range(4):
        c.line(
            [(0.06, 0.15 + row * 0.018), (0.06 + c.rng.uniform(0.12, 0.22), 0.15 + row * 0.018)], (250, 190, 60), 0.005
        )
    c.rect(0, 0.62, 1, 1, (176, 170, 160) if not spec.night else (70, 68, 66))
    for row, y in enumerate((0.72, 0.84)):
        for i in range(6):
            x = i * 0.18 + (0.09 if row else 0) - 0.05
            c.rect(x, y, x + 0.15, y + 0.07, (50, 70, 110), radius=0.02)
