"""Widgets of digital twins: avatar management and LoRA models."""
