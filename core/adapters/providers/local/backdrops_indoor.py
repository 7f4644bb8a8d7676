"""Indoor backdrops: bathroom, kitchen, office, gym, bedroom, cafe, studio."""

from __future__ import annotations

from core.adapters.providers.local.backdrop_kit import RGB, Canvas, mix, shade
from core.adapters.providers.local.backdrops_outdoor import sky_stops
from core.adapters.providers.local.scenes import SceneSpec


def _tiles(c: Canvas, y0: float, y1: float, base: RGB, size: float, offset_rows: bool) -> None:
    c.rect(0, y0, 1, y1, base)
    grout = shade(base, 0.86)
    rows = int((y1 - y0) * c.h / (size * c.w * (0.5 if offset_rows else 1))) + 1
    for r in range(rows + 1):
        y = y0 + r * size * (0.5 if offset_rows else 1) * c.w / c.h
        if y >= y1:
            break
        c.line([(0, y), (1, y)], grout, 0.003)
        shift = size / 2 if offset_rows and r % 2 else 0
        x = -shift
        while x < 1:
            y_next = min(y1, y + size * (0.5 if offset_rows else 1) * c.w / c.h)
            c.line([(x, y), (x, y_next)], grout, 0.003)
            x += size


def bathroom(c: Canvas, spec: SceneSpec) -> None:
    _tiles(c, 0.0, 0.74, (226, 232, 236), 0.12, offset_rows=False)
    side = c.rng.choice((0.02, 0.62))
    c.rect(side, 0.14, side + 0.36, 0.56, (200, 190, 170), radius=0.02)  # mirror frame
    c.paste_gradient(0.16, 0.54, [(0.0, (206, 222, 230)), (1.0, (170, 190, 200))], side + 0.02, side + 0.34)
    c.glow(side + 0.18, 0.1, 0.08, (255, 244, 220), 0.7)
    c.rect(0, 0.72, 1, 0.76, (240, 240, 236))  # counter top
    c.rect(0, 0.76, 1, 1, (150, 120, 96))  # vanity
    for i in range(3):
        x = 0.08 + i * 0.05 + (0.6 if side < 0.5 else 0)
        c.rect(x, 0.64, x + 0.035, 0.72, c.rng.choice([(120, 180, 200), (240, 200, 210), (250, 250, 250)]), radius=0.01)
    c.ellipse(0.86 if side < 0.5 else 0.06, 0.6, 0.96 if side < 0.5 else 0.16, 0.72, (70, 140, 90))


def kitchen(c: Canvas, spec: SceneSpec) -> None:
    c.rect(0, 0, 1, 1, (238, 232, 222))
    cabinet: RGB = c.rng.choice([(90, 120, 110), (236, 236, 232), (60, 80, 110)])
    for i in range(5):
        x = i * 0.21 - 0.02
        c.rect(x, 0.04, x + 0.19, 0.3, cabinet, radius=0.01)
        c.line([(x + 0.16, 0.22), (x + 0.16, 0.27)], shade(cabinet, 0.7), 0.008)
    _tiles(c, 0.3, 0.6, (246, 244, 238), 0.1, offset_rows=True)
    window = c.rng.choice((0.04, 0.66))
    c.rect(window, 0.33, window + 0.3, 0.58, (250, 250, 248))
    c.paste_gradient(0.345, 0.565, sky_stops(spec), window + 0.015, window + 0.285)
    c.rect(0, 0.6, 1, 0.64, (60, 58, 60))  # countertop
    c.rect(0, 0.64, 1, 1, cabinet)
    for x in (0.12, 0.5, 0.88):
        c.line([(x, 0.0), (x, 0.1)], (40, 40, 40), 0.004)
        c.glow(x, 0.12, 0.05, (255, 226, 170), 0.7)
    c.rect(0.72, 0.54, 0.86, 0.6, (170, 60, 50), radius=0.02)  # pot
    c.ellipse(0.1, 0.555, 0.2, 0.6, (230, 180, 60))  # fruit bowl
    c.ellipse(0.13, 0.54, 0.17, 0.57, (200, 60, 60))


def office(c: Canvas, spec: SceneSpec) -> None:
    c.rect(0, 0, 1, 1, (226, 222, 214))
    c.rect(0.52, 0.08, 0.98, 0.62, (70, 74, 80))
    c.paste_gradient(0.1, 0.6, sky_stops(spec), 0.54, 0.96)
    for i in range(6):
        x, top = 0.54 + i * 0.07, c.rng.uniform(0.3, 0.5)
        c.rect(x, top, x + 0.06, 0.6, (120, 130, 150) if not spec.night else (40, 44, 60))
        for j in range(int((0.6 - top) / 0.03)):
            c.rect(
                x + 0.01,
                top + 0.01 + j * 0.03,
                x + 0.05,
                top + 0.02 + j * 0.03,
                (255, 220, 140) if spec.night else (200, 214, 230),
            )
    c.rect(0.04, 0.2, 0.4, 0.22, (120, 90, 60))
    c.rect(0.04, 0.36, 0.4, 0.38, (120, 90, 60))
    for shelf_y in (0.2, 0.36):
        x = 0.06
        while x < 0.36:
            w = c.rng.uniform(0.015, 0.03)
            c.rect(
                x,
                shelf_y - c.rng.uniform(0.05, 0.08),
                x + w,
                shelf_y,
                c.rng.choice([(180, 60, 60), (60, 90, 150), (220, 200, 120), (80, 130, 90)]),
            )
            x += w + 0.004
    c.ellipse(0.02, 0.56, 0.18, 0.74, (60, 130, 80))  # plant
    c.rect(0.06, 0.72, 0.14, 0.82, (180, 120, 80))
    c.rect(0, 0.82, 1, 1, (150, 110, 80))  # desk


def gym(c: Canvas, spec: SceneSpec) -> None:
    c.paste_gradient(0, 1, [(0.0, (40, 42, 48)), (0.7, (60, 62, 70)), (1.0, (30, 30, 34))])
    c.rect(0.05, 0.12, 0.95, 0.6, (120, 130, 140))
    c.paste_gradient(0.13, 0.59, [(0.0, (150, 160, 170)), (1.0, (90, 96, 104))], 0.06, 0.94)
    for i in range(5):
        c.glow(0.1 + i * 0.2, 0.05, 0.04, (255, 255, 245), 0.8)
    c.rect(0.0, 0.66, 1.0, 0.68, (150, 150, 156))
    for i in range(8):
        x = 0.05 + i * 0.12
        c.ellipse(x, 0.6, x + 0.06, 0.66, (30, 30, 32))
        c.ellipse(x + 0.04, 0.6, x + 0.1, 0.66, (30, 30, 32))
    c.rect(0, 0.78, 1, 1, (26, 26, 30))
    c.line([(0, 0.78), (1, 0.78)], (200, 40, 40), 0.01)


def bedroom(c: Canvas, spec: SceneSpec) -> None:
    wall: RGB = c.rng.choice([(214, 200, 190), (196, 206, 200), (220, 210, 226)])
    c.rect(0, 0, 1, 1, wall)
    window = c.rng.choice((0.06, 0.62))
    c.paste_gradient(0.1, 0.5, sky_stops(spec), window, window + 0.3)
    c.rect(window - 0.05, 0.06, window + 0.04, 0.6, mix(wall, (255, 255, 255), 0.5))
    c.rect(window + 0.26, 0.06, window + 0.35, 0.6, mix(wall, (255, 255, 255), 0.5))
    frame_x = 0.68 if window < 0.5 else 0.08
    c.rect(frame_x, 0.16, frame_x + 0.22, 0.32, (90, 70, 60))
    c.rect(frame_x + 0.015, 0.17, frame_x + 0.205, 0.31, (150, 180, 200))
    c.rect(0.1, 0.5, 0.9, 0.8, (140, 110, 90), radius=0.04)  # headboard
    c.rect(0.0, 0.72, 1.0, 1.0, (244, 242, 236))  # duvet
    for x in (0.16, 0.56):
        c.rect(x, 0.62, x + 0.28, 0.74, (250, 250, 246), radius=0.04)
    lamp_x = 0.92 if window < 0.5 else 0.02
    c.rect(lamp_x, 0.5, lamp_x + 0.08, 0.58, (240, 220, 180))
    c.glow(lamp_x + 0.04, 0.54, 0.09, (255, 214, 150), 0.6)


def cafe(c: Canvas, spec: SceneSpec) -> None:
    brick: RGB = (150, 82, 62)
    c.rect(0, 0, 1, 1, shade(brick, 0.8))
    row_h = 0.022
    for r in range(int(0.7 / row_h)):
        offset = 0.05 if r % 2 else 0.0
        x = -offset
        while x < 1:
            c.rect(x + 0.004, r * row_h + 0.003, x + 0.096, (r + 1) * row_h, shade(brick, c.rng.uniform(0.9, 1.1)))
            x += 0.1
    for y in (0.2, 0.36):
        c.rect(0.55, y, 0.98, y + 0.012, (90, 60, 40))
        for i in range(6):
            x = 0.57 + i * 0.065
            c.rect(
                x,
                y - 0.04,
                x + 0.045,
                y,
                c.rng.choice([(240, 240, 236), (220, 200, 160), (120, 140, 150)]),
                radius=0.008,
            )
    c.rect(0.04, 0.14, 0.36, 0.4, (40, 44, 42))  # chalkboard, no text
    c.rect(0.03, 0.13, 0.37, 0.14, (120, 90, 60))
    for x in (0.2, 0.5, 0.8):
        c.line([(x, 0), (x, 0.08)], (30, 30, 30), 0.004)
        c.glow(x, 0.1, 0.05, (255, 200, 120), 0.9)
    c.rect(0, 0.7, 1, 1, (110, 74, 50))
    c.rect(0, 0.7, 1, 0.73, (70, 46, 32))


def studio(c: Canvas, spec: SceneSpec) -> None:
    base: RGB = c.rng.choice([(214, 210, 204), (196, 204, 214), (222, 206, 196), (200, 214, 204)])
    c.paste_gradient(
        0,
        1,
        [(0.0, shade(base, 0.9)), (0.45, mix(base, (255, 255, 255), 0.25)), (0.75, base), (1.0, shade(base, 0.82))],
    )
    c.glow(0.5, 0.35, 0.45, mix(base, (255, 255, 255), 0.6), 0.5)
