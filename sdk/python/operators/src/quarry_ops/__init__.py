"""Quarry's built-in operators, in Python: `python -m quarry_ops.ocr`, `python -m quarry_ops.image_feature`.
Each has the same Describe (names, kinds, optionality, resource class) as its TypeScript twin in
operators/, so a miner can be pointed at either."""
