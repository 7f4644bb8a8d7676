"""Compose one stylised portrait from a Look: back hair, body, neck, head, features, front hair."""

from __future__ import annotations

import math

from PIL import Image

from seeds.portrait_parts import RGB, Face, Look, Painter, mix, shade

SIZE = (720, 1280)

# style: (rim px, hairline height at the parting, at the temples, parting offset, curve exponent)
_HAIRLINES = {
    "long": (16, 0.1, 0.34, -0.25, 1.6),
    "long_wavy": (18, 0.1, 0.36, 0.3, 1.6),
    "bob": (18, 0.2, 0.26, 0.0, 4.0),
    "bun": (8, 0.1, 0.3, 0.0, 2.2),
    "afro": (10, 0.1, 0.3, 0.0, 2.2),
    "curly": (14, 0.13, 0.3, 0.0, 2.2),
    "short": (12, 0.11, 0.28, -0.45, 1.8),
    "side_swept": (14, 0.2, 0.3, 0.7, 1.2),
    "buzz": (5, 0.09, 0.26, 0.0, 2.6),
}


def shoulders_top(f: Face) -> float:
    return f.top + f.height + 62


def draw_portrait(look: Look, background: RGB) -> tuple[Image.Image, set[RGB]]:
    p = Painter(SIZE, background)
    f = look.face
    _back_hair(p, look, f)
    _body(p, look, f)
    _neck(p, look, f)
    _side_locks(p, look, f)
    _ears(p, look, f)
    p.polygon(f.outline(), look.skin)
    _cheeks(p, look, f)
    if look.beard:
        _beard(p, look, f)
    _eyes(p, look, f)
    _brows(p, look, f)
    _nose(p, look, f)
    if look.lines:
        _age_lines(p, look, f)
    _mouth(p, look, f)
    if look.moustache or look.beard:
        _moustache(p, look, f)
    _front_hair(p, look, f)
    if look.glasses:
        _glasses(p, look, f)
    if look.earrings:
        for s in (-1, 1):
            x = f.cx + s * (f.width / 2 + 1)
            p.ellipse((x - 7, f.eye_y + 84, x + 7, f.eye_y + 98), look.earrings)
    return p.finish(), p.colours


def _back_hair(p: Painter, look: Look, f: Face) -> None:
    hair, cx, top, w, style = look.hair, f.cx, f.top, f.width, look.hair_style
    if style in ("long", "long_wavy"):
        p.ellipse((cx - w / 2 - 22, top - 36, cx + w / 2 + 22, top + f.height * 0.9), hair)
        p.rect((cx - w / 2 - 30, top + f.height * 0.3, cx + w / 2 + 30, shoulders_top(f) + 150), hair, radius=70)
    elif style == "afro":
        for i in range(18):
            a = math.tau * i / 18
            x, y = cx + w * 0.72 * math.cos(a), top + 70 + w * 0.62 * math.sin(a)
            p.ellipse((x - 52, y - 52, x + 52, y + 52), hair)
        p.ellipse((cx - w * 0.78, top - 95, cx + w * 0.78, top + 235), hair)
    elif style == "bob":
        p.ellipse((cx - w / 2 - 24, top - 38, cx + w / 2 + 24, top + f.height * 0.8), hair)
        p.rect((cx - w / 2 - 26, top + f.height * 0.3, cx + w / 2 + 26, top + f.height * 0.86), hair, radius=40)
    elif style == "bun":
        p.ellipse((cx - 60, top - 112, cx + 60, top + 4), hair)
    elif style == "curly":
        for i in range(11):
            a = math.pi + math.pi * i / 10
            x, y = cx + (w / 2 + 6) * math.cos(a), top + f.height * 0.34 + (f.height * 0.4) * math.sin(a)
            p.ellipse((x - 30, y - 30, x + 30, y + 30), hair)


def _body(p: Painter, look: Look, f: Face) -> None:
    cx, w, y0 = f.cx, look.shoulders, shoulders_top(f)
    if look.neckline == "hoodie":
        p.ellipse((cx - 150, y0 - 70, cx + 150, y0 + 90), shade(look.clothing, 0.84))
    p.ellipse((cx - w * 0.9, y0 - 10, cx + w * 0.9, y0 + 260), look.clothing)
    p.rect((cx - w, y0 + 80, cx + w, SIZE[1] + 200), look.clothing, radius=190)


def _neck(p: Painter, look: Look, f: Face) -> None:
    cx, half = f.cx, f.width * 0.18
    neck = shade(look.skin, 0.86)
    y_top, y0 = f.top + f.height * 0.6, shoulders_top(f)
    p.polygon([(cx - half, y_top), (cx + half, y_top), (cx + half + 8, y0 + 14), (cx - half - 8, y0 + 14)], neck)
    kind = look.neckline
    if kind in ("crew", "hoodie"):
        p.ellipse((cx - half - 24, y0 - 22, cx + half + 24, y0 + 40), neck)
        p.arc((cx - half - 28, y0 - 26, cx + half + 28, y0 + 44), 0, 180, shade(look.clothing, 0.8), 7)
        if kind == "hoodie":
            for s in (-1, 1):
                p.line([(cx + s * 30, y0 + 42), (cx + s * 36, y0 + 160)], look.accent, 5)
                p.ellipse((cx + s * 36 - 6, y0 + 154, cx + s * 36 + 6, y0 + 168), look.accent)
    elif kind == "v":
        p.polygon([(cx - half - 22, y0 + 4), (cx + half + 22, y0 + 4), (cx, y0 + 120)], neck)
        p.line([(cx - half - 22, y0 + 4), (cx, y0 + 120), (cx + half + 22, y0 + 4)], shade(look.clothing, 0.8), 6)
    elif kind in ("blazer", "cardigan"):
        _jacket_front(p, look, cx, y0, neck)


def _jacket_front(p: Painter, look: Look, cx: float, y: float, neck: RGB) -> None:
    p.polygon([(cx - 84, y + 2), (cx + 84, y + 2), (cx, y + 320)], look.accent)
    p.polygon([(cx - 40, y), (cx + 40, y), (cx, y + 72)], neck)
    collar = shade(look.accent, 0.88)
    lapel = shade(look.clothing, 0.8)
    for s in (-1, 1):
        p.polygon([(cx + s * 86, y + 4), (cx + s * 4, y + 320), (cx + s * 50, y + 320), (cx + s * 126, y + 70)], lapel)
        p.polygon([(cx + s * 42, y - 6), (cx + s * 6, y + 76), (cx + s * 74, y + 44)], collar)


def _side_locks(p: Painter, look: Look, f: Face) -> None:
    """Long hair falling in front of the shoulders."""
    if look.hair_style not in ("long", "long_wavy"):
        return
    wave = 10 if look.hair_style == "long_wavy" else 0
    bottom = shoulders_top(f) + 170
    for s in (-1, 1):
        outer = [
            (
                f.cx + s * (f.width / 2 + 30 + wave * math.sin(i * 0.9)),
                f.top + f.height * 0.35 + i * (bottom - f.top - f.height * 0.35) / 12,
            )
            for i in range(13)
        ]
        inner = [
            (
                f.cx + s * (f.width * 0.33 + wave * math.sin(i * 0.9 + 1)),
                f.top + f.height * 0.9 + i * (bottom - f.top - f.height * 0.9) / 8,
            )
            for i in range(9)
        ]
        p.polygon(outer + inner[::-1] + [(f.cx + s * (f.width / 2 - 4), f.top + f.height * 0.6)], look.hair)


def _ears(p: Painter, look: Look, f: Face) -> None:
    for s in (-1, 1):
        x = f.cx + s * (f.width / 2 - 6)
        p.ellipse((x - 20, f.eye_y - 8, x + 20, f.eye_y + 68), shade(look.skin, 0.93))
        p.ellipse((x - 9, f.eye_y + 10, x + 9, f.eye_y + 50), shade(look.skin, 0.82))


def _cheeks(p: Painter, look: Look, f: Face) -> None:
    blush = mix(look.skin, (226, 110, 120), 0.14)
    for s in (-1, 1):
        x, y = f.cx + s * f.width * 0.27, f.top + f.height * 0.65
        p.ellipse((x - 28, y - 15, x + 28, y + 15), blush)


def _eyes(p: Painter, look: Look, f: Face) -> None:
    for x, y, w, h in f.eye_boxes():
        cx, cy = x + w / 2, y + h / 2
        p.ellipse((x, y, x + w, y + h), (247, 245, 241))
        r = h * 0.5
        p.ellipse((cx - r, cy - r, cx + r, cy + r), look.iris)
        p.ellipse((cx - r * 0.48, cy - r * 0.48, cx + r * 0.48, cy + r * 0.48), (24, 18, 18))
        p.ellipse((cx + r * 0.15, cy - r * 0.62, cx + r * 0.55, cy - r * 0.22), (252, 252, 250))
        p.arc((x - 2, y - 1, x + w + 2, y + h + 6), 195, 345, (40, 30, 28), 3.4)


def _brows(p: Painter, look: Look, f: Face) -> None:
    colour = shade(look.hair, 0.8) if sum(look.hair) < 600 else shade(look.hair, 0.6)
    for s in (-1, 1):
        x, y = f.cx + s * f.eye_dx, f.eye_y - 34
        inner, outer = x - s * 28, x + s * 30
        thick = 7 * look.brows
        p.polygon(
            [
                (inner, y + 4),
                (x, y - 5),
                (outer, y + 3),
                (outer, y + 3 + thick * 0.5),
                (x, y - 5 + thick),
                (inner, y + 4 + thick),
            ],
            colour,
        )


def _nose(p: Painter, look: Look, f: Face) -> None:
    y, cx = f.nose_y, f.cx
    p.arc((cx - 18, y - 20, cx + 18, y + 6), 20, 160, shade(look.skin, 0.78), 3.4)
    p.line([(cx + 3, y - 62), (cx + 8, y - 24)], shade(look.skin, 0.9), 3)


def _mouth(p: Painter, look: Look, f: Face) -> None:
    x, y, w, h = f.mouth_box
    p.ellipse((x, y, x + w, y + h), look.lips)
    p.ellipse((x + w * 0.14, y + h * 0.52, x + w * 0.86, y + h), shade(look.lips, 1.08))
    p.arc((x + 2, y - h * 0.9, x + w - 2, y + h * 0.62), 35, 145, shade(look.lips, 0.55), 2.6)


def _moustache(p: Painter, look: Look, f: Face) -> None:
    x, y, w, h = f.mouth_box
    colour = look.moustache or look.beard or look.hair
    p.polygon(
        [
            (x - 8, y + 5),
            (x + w * 0.25, y - 12),
            (x + w / 2, y - 8),
            (x + w * 0.75, y - 12),
            (x + w + 8, y + 5),
            (x + w / 2, y - 2),
        ],
        colour,
    )


def _beard(p: Painter, look: Look, f: Face) -> None:
    beard = look.beard or look.hair
    cut = f.top + f.height * 0.6
    jaw = [pt for pt in f.outline(inset=-2) if pt[1] > cut]
    x, y, w, h = f.mouth_box
    left = min(jaw, key=lambda pt: pt[0])
    cheek = [
        (left[0] + (f.cx - w * 0.75 - left[0]) * k, cut + (y + h * 0.3 - cut) * math.sin(k * math.pi / 2))
        for k in (0.0, 0.25, 0.5, 0.75, 1.0)
    ]
    mirrored = [(2 * f.cx - x_, y_) for x_, y_ in reversed(cheek)]
    p.polygon(jaw + cheek + mirrored, beard)


def _age_lines(p: Painter, look: Look, f: Face) -> None:
    line = shade(look.skin, 0.86)
    x, y, w, h = f.mouth_box
    for s, (start, end) in ((-1, (120, 220)), (1, (320, 60))):
        x0 = f.cx + s * w * 0.58
        p.arc((x0 - 14, y - 38, x0 + 14, y + 16), start, end, line, 2.4)
    for i in range(2):
        p.arc((f.cx - 52, f.top + 44 + i * 14, f.cx + 52, f.top + 76 + i * 14), 200, 340, line, 2.2)


def _front_hair(p: Painter, look: Look, f: Face) -> None:
    style = look.hair_style
    if style == "bald":
        _side_hair(p, f, look.grey_sides or look.hair, (58, 104), 13)
        return
    rim, mid, side, part, exponent = _HAIRLINES[style]
    a, b, cy = f.width / 2 + rim, f.height / 2 + rim, f.top + f.height / 2
    outer = [(f.cx + a * math.sin(t), cy - b * math.cos(t)) for t in (math.radians(d) for d in range(-80, 81, 2))]
    inner = []
    for i in range(49):
        u = 1 - i / 24  # +1 right temple .. -1 left temple
        d = min(1.0, abs(u - part) / (1 + abs(part)))
        y = f.top + f.height * (mid + (side - mid) * d**exponent)
        half = f.width / 2 * math.sqrt(max(0.0, 1 - ((y - cy) / (f.height / 2)) ** 2))
        inner.append((f.cx + u * half, y))
    p.polygon(outer + inner, look.hair)
    if look.grey_sides:
        _side_hair(p, f, look.grey_sides, (62, 84), rim)


def _side_hair(p: Painter, f: Face, colour: RGB, degrees: tuple[int, int], thickness: float) -> None:
    """A band of hair hugging the head above each ear (temples, or a bald crown's fringe)."""
    a, b, cy = f.width / 2, f.height / 2, f.top + f.height / 2
    ts = [math.radians(d) for d in range(degrees[0], degrees[1] + 1, 2)]
    for s in (-1, 1):
        outer = [(f.cx + s * (a + thickness) * math.sin(t), cy - (b + thickness) * math.cos(t)) for t in ts]
        inner = [(f.cx + s * (a - 4) * math.sin(t), cy - (b - 4) * math.cos(t)) for t in reversed(ts)]
        p.polygon(outer + inner, colour)


def _glasses(p: Painter, look: Look, f: Face) -> None:
    colour = look.glasses or (40, 40, 40)
    boxes = f.eye_boxes()
    for x, y, w, h in boxes:
        p.ring((x - 12, y - 14, x + w + 12, y + h + 14), colour, 3.5)
    (lx, ly, lw, lh), (rx, _, _, _) = boxes
    p.line([(lx + lw + 12, ly + lh / 2 - 2), (rx - 12, ly + lh / 2 - 2)], colour, 3.5)
