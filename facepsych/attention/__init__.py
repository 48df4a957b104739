"""facepsych.attention"""
