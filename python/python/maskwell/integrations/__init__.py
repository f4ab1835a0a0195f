"""Adapters for inference frameworks. Each module imports its framework lazily or on
import of that module only, so ``import maskwell`` never needs them."""
