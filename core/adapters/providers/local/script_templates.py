"""The offline script writer's templates: scene plans, lines, cameras and lighting per scene type.

Lines are grown to the scene's word budget: at 150 words a minute a 5 s scene holds 12
words and an 8 s scene 20 (spec 8.1). `{product}`, `{pain}` and `{cta}` are filled in.
"""

from __future__ import annotations

KIND_KEYWORDS: dict[str, tuple[str, ...]] = {
    "skincare": ("serum", "cream", "skin", "moistur", "lotion", "spf", "sunscreen", "cleanser", "toner", "face"),
    "beverage": ("coffee", "tea", "drink", "juice", "soda", "water", "bottle", "latte"),
    "food": ("snack", "bar", "protein", "chocolate", "cereal", "food", "sauce"),
    "tech": ("phone", "earbud", "headphone", "charger", "speaker", "watch", "camera", "gadget", "laptop"),
    "fitness": ("gym", "fitness", "yoga", "band", "dumbbell", "workout", "supplement"),
    "home": ("candle", "pillow", "blanket", "lamp", "kitchen", "cleaner", "mug", "diffuser"),
    "fashion": ("shirt", "dress", "shoe", "sneaker", "bag", "jacket", "jewel", "sunglass", "hat"),
}

PAINS: dict[str, tuple[str, ...]] = {
    "skincare": ("dull, tired-looking skin", "skin that feels tight by noon"),
    "beverage": ("slow, groggy mornings", "drinks full of sugar"),
    "food": ("snacks that leave you hungry", "boring, bland snacks"),
    "tech": ("gadgets that die by lunch", "tangled, fiddly setups"),
    "fitness": ("workouts you never stick to", "sore muscles the next day"),
    "home": ("a home that never feels cosy", "clutter that stresses you out"),
    "fashion": ("outfits that never feel right", "pieces that fall apart fast"),
    "general": ("products that overpromise", "wasting money on things that don't work"),
}

# No default selling points: the writer states only what the brief or the product DNA says.
# When neither gives one, it speaks about the look of the product (an opinion, not a claim).
FALLBACK_POINT = "the way it looks"

HOOKS: dict[str, str] = {
    "testimonial": "Open mid-reaction with an honest first impression in the first 2 seconds",
    "problem-solution": "Call out the pain point in the first 2 seconds, then reveal the product",
    "unboxing": "Start with the package in hand and a curious reaction as it opens",
    "tutorial": "Promise a quick how-to result in the first line, then show each step",
    "before-after": "Show the 'before' moment first, then cut to the product as the turning point",
}

SETTINGS_BY_TYPE: dict[str, str] = {
    "skincare": "bathroom",
    "beverage": "kitchen",
    "food": "kitchen",
    "tech": "office",
    "fitness": "gym",
    "home": "bedroom",
    "fashion": "street",
}

# Per scene type: opening sentences, then sentences that may follow while the word budget
# allows. Every sentence is an opinion or a reaction, never a product claim; claims come
# only from the brief's selling points (see script_lines.point_sentences).
OPENERS: dict[str, tuple[str, ...]] = {
    "hook": (
        "Okay, I did not expect {product} to be this good.",
        "Stop scrolling if you deal with {pain}.",
        "I finally tried {product}, and wow.",
        "You need to hear about {product}.",
    ),
    "problem": (
        "I was so done with {pain}.",
        "Honestly, I had enough of {pain}.",
        "Can we talk about {pain} for a second?",
    ),
    "solution": (
        "Then I found {product}, and it just clicked.",
        "Then a friend told me about {product}.",
        "So I gave {product} a try.",
    ),
    "demo": ("Let me show you how I use it.", "Watch this.", "Here it is up close."),
    "testimonial": (
        "Honestly, I'm really happy with it.",
        "I keep reaching for it.",
        "It's part of my routine now.",
    ),
    "cta": ("{cta}",),
}
FOLLOWERS: dict[str, tuple[str, ...]] = {
    "hook": (
        "I have to tell you about it.",
        "Let me show you.",
        "Stay with me for a second.",
        "This one surprised me.",
        "Trust me.",
    ),
    "problem": (
        "I tried so many things.",
        "Nothing felt right.",
        "It was getting really frustrating.",
        "Sound familiar?",
        "Ugh.",
    ),
    "solution": (
        "I was curious, so I gave it a go.",
        "Here is what I noticed.",
        "I was not sure at first.",
        "Honestly.",
    ),
    "demo": ("See what I mean?", "That's my whole routine.", "Okay, I'm impressed.", "Right?"),
    "testimonial": (
        "I've already told my friends about it.",
        "I did not expect to like it this much.",
        "I mean it.",
        "No regrets.",
    ),
    "cta": ("You can thank me later.", "Seriously, go.", "I think you'll love it."),
}
# Scene types whose line also states a selling point (the demo leads with it).
POINT_SCENES = ("solution", "demo", "testimonial")

ACTIONS: dict[str, str] = {
    "hook": "Holds {product} up to the camera, leaning in",
    "problem": "Sighs and gestures at the problem in the {setting}",
    "solution": "Picks up {product} and shows the label",
    "demo": "Uses {product}, close to the lens",
    "testimonial": "Talks straight to camera, relaxed, {product} beside them",
    "cta": "Points at the camera, then at {product}",
}

EXPRESSIONS: dict[str, str] = {
    "hook": "Excited, genuine surprise",
    "problem": "Frustrated, a little tired",
    "solution": "Relieved, curious smile",
    "demo": "Focused, pleased",
    "testimonial": "Warm, confident",
    "cta": "Friendly, upbeat",
}

CAMERAS: dict[str, tuple[str, str, str]] = {
    "hook": ("close_up", "eye_level", "push_in"),
    "problem": ("medium", "eye_level", "handheld"),
    "solution": ("medium", "three_quarter", "handheld"),
    "demo": ("product_close_up", "high_angle", "static"),
    "testimonial": ("close_up", "eye_level", "handheld"),
    "cta": ("medium", "eye_level", "pull_out"),
}

VISIBILITY: dict[str, str] = {
    "hook": "primary",
    "problem": "none",
    "solution": "primary",
    "demo": "primary",
    "testimonial": "secondary",
    "cta": "primary",
}

LIGHTING_BY_TONE: dict[str, tuple[str, str]] = {
    "warm": ("golden_hour", "window_left"),
    "energetic": ("bright_daylight", "front_45"),
    "calm": ("natural", "window_left"),
    "funny": ("bright_daylight", "front"),
    "premium": ("soft_studio", "front_45"),
}

_SEQUENCES: dict[int, tuple[str, ...]] = {
    3: ("hook", "solution", "cta"),
    4: ("hook", "problem", "demo", "cta"),
    5: ("hook", "problem", "solution", "demo", "cta"),
    6: ("hook", "problem", "solution", "demo", "testimonial", "cta"),
    7: ("hook", "problem", "solution", "demo", "demo", "testimonial", "cta"),
    8: ("hook", "problem", "solution", "demo", "demo", "testimonial", "testimonial", "cta"),
}


def scene_plan(duration_s: float) -> list[tuple[str, float]]:
    """Scene types and lengths: about 5 s a scene, 3-8 scenes, each at most 8 s, in 0.5 s steps."""
    count = min(8, max(3, round(duration_s / 5), -(-int(duration_s) // 8)))
    base = round(duration_s / count * 2) / 2
    lengths = [min(8.0, base)] * count
    lengths[-1] = round(max(2.0, min(8.0, duration_s - sum(lengths[:-1]))) * 2) / 2
    return list(zip(_SEQUENCES[count], lengths, strict=True))
