"""facepsych.models"""
