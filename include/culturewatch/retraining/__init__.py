"""CultureSPA retraining (Xu et al. 2025): generate → answer → CRQPC → culture-joint SFT (LoRA) →
convert → register → evaluate and promote. One small module per step; `pipeline` wires them."""
