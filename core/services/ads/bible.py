"""The production bible (spec 8.9, 11) and each scene's prompts (spec 9.2's master template).

Pure functions: the same DNA, brief and scene always give the same prompts, which is what
lets an unchanged scene find its finished assets again (their fingerprints match).
The storyboard prompt carries one-line tags (SETTING, CAMERA, LIGHTING, PRODUCT
VISIBILITY) that hosted models read as plain words and the offline compositor parses.
"""

from __future__ import annotations

import logging
from typing import Any

from core.domain.ads import BriefInput, CharacterDNA, CreativeBrief, ProductDNA, ScenePrompts, SceneScript

logger = logging.getLogger(__name__)

REALISM_HEADER = "Ultra-realistic UGC smartphone footage, shot vertically on a recent iPhone, natural and unpolished."
REALISM_RULES = {  # spec 11.2
    "skin": "Visible pores, micro-imperfections, natural sebaceous activity, fine vellus hair",
    "face": "Natural asymmetry, one eyebrow slightly higher, natural tooth variation",
    "hands": "Correct finger count, natural proportions, visible veins and tendons",
    "environment": "Natural window light, subtle shadows, authentic room details",
    "product_fidelity": "Exact label text, correct colors, accurate proportions, real reflections",
    "text_overlays": "Legible, correctly spelled, properly positioned",
}
SKIN_BLOCK = (  # spec 23.2, appended to every generation prompt
    "SKIN REALISM (MANDATORY): visible skin pores across nose, cheeks, forehead; subtle natural blemishes; "
    "fine vellus hair on the face contour when backlit; natural sheen on the T-zone; faint undereye hollows; "
    "visible individual eyebrow hairs; NO porcelain, plastic or airbrushed skin."
)
NEGATIVE_PROMPT = (
    "plastic skin, airbrushed, perfect symmetry, uniform perfect teeth, extra fingers, missing fingers, "
    "deformed hands, distorted face, changed face, different person, wrong product colour, warped label, "
    "misspelled text, invented logo, watermark, oversaturated, cartoon, CGI, 3D render, blurry, low resolution, "
    "duplicate product"
)
CAMERA_LANGUAGE = {
    "close_up": "85mm equivalent, shallow depth of field, face fills the upper frame",
    "medium": "35mm equivalent, waist-up framing, background softly out of focus",
    "wide": "24mm equivalent, full figure in the setting, deep focus",
    "product_close_up": "macro-style close-up on the product, creator partly in frame",
}
LIGHTING_BIBLE = {
    "natural": "soft window light, about 5600K, gentle fill from the room",
    "golden_hour": "warm low sun, about 3500K, rim light on hair",
    "soft_studio": "large soft key at 45 degrees, low contrast, about 5000K",
    "warm_indoor": "warm practical lamps, about 3200K, cosy shadows",
    "bright_daylight": "bright diffuse daylight, about 6000K, open shadows",
    "moody": "single soft source, deep shadows, about 4000K",
}


def build_bible(
    *,
    product: ProductDNA | None,
    character: CharacterDNA | None,
    brief: BriefInput | None,
    creative: CreativeBrief | None,
    product_name: str,
    brand_name: str,
) -> dict[str, Any]:
    """The eight components of spec 8.9, JSON-safe."""
    bible: dict[str, Any] = {
        "product_dna": product.to_dict() if product else {"product_name": product_name},
        "avatar_dna": character.to_dict() if character else {},
        "style": brief.to_dict() if brief else {},
        "creative_brief": creative.to_dict() if creative else {},
        "camera_language": CAMERA_LANGUAGE,
        "lighting_bible": LIGHTING_BIBLE,
        "realism_rules": REALISM_RULES,
        "negative_prompt": NEGATIVE_PROMPT,
        "brand_name": brand_name,
    }
    bible["master_prompt"] = master_prompt(bible)
    return bible


def _character_block(dna: dict[str, Any]) -> str:
    if not dna:
        return "CHARACTER: the creator from the reference photos, unchanged."
    parts = [f"{k}: {dna[k]}" for k in ("face", "skin", "eyes", "hair", "body", "wardrobe") if dna.get(k)]
    return "CHARACTER DNA: " + "; ".join(parts) + "."


def _product_block(dna: dict[str, Any]) -> str:
    colours = ", ".join(f"{role} {hex_}" for role, hex_ in (dna.get("colors") or {}).items())
    bits = [dna.get("product_name", "the product"), dna.get("shape", ""), colours, dna.get("texture", "")]
    return "PRODUCT: " + ", ".join(b for b in bits if b) + "."


def _lock_block(bible: dict[str, Any]) -> str:
    product, avatar = bible["product_dna"], bible["avatar_dna"]
    rules = list(product.get("prohibited_variations") or [])
    if avatar.get("prohibited_drift"):
        rules.append(avatar["prohibited_drift"])
    return (
        "CONSISTENCY LOCK (never changes): " + ("; ".join(rules) or "same person and product as the references") + "."
    )


def master_prompt(bible: dict[str, Any]) -> str:
    style = bible.get("style") or {}
    tone = f"{style.get('tone', 'warm')} {style.get('style', 'testimonial')} ad for {style.get('platform', 'tiktok')}"
    return " ".join(
        [
            REALISM_HEADER,
            f"STYLE: {tone}.",
            _character_block(bible["avatar_dna"]),
            _product_block(bible["product_dna"]),
            _lock_block(bible),
        ]
    )


def scene_prompts(bible: dict[str, Any], scene: SceneScript) -> ScenePrompts:
    camera, lighting = scene.camera, scene.lighting
    setting = scene.setting or "bedroom"
    tags = "\n".join(
        [
            f"SETTING: {setting}",
            f"CAMERA: {camera.words()}; {CAMERA_LANGUAGE.get(camera.shot_type, '')}",
            f"LIGHTING: {lighting.words()}; {LIGHTING_BIBLE.get(lighting.type, '')}",
            f"PRODUCT VISIBILITY: {scene.product_visibility.value}",
        ]
    )
    shared = "\n".join(
        [
            REALISM_HEADER,
            tags,
            _character_block(bible["avatar_dna"]),
            _product_block(bible["product_dna"]),
            f"SCENE {scene.number} ({scene.scene_type.value}): {scene.action}. "
            f"Expression: {scene.expression or 'natural'}."
            + (f" Product: {scene.product_action}." if scene.product_action else ""),
            SKIN_BLOCK,
            _lock_block(bible),
        ]
    )
    audio = (
        f'AUDIO: says "{scene.dialogue}" in a natural, conversational voice; quiet room tone.' if scene.dialogue else ""
    )
    video = "\n".join([shared, f"MOTION: {camera.movement.replace('_', ' ')} camera, subtle natural movement.", audio])
    return ScenePrompts(storyboard_prompt=shared, video_prompt=video.strip(), negative_prompt=bible["negative_prompt"])
