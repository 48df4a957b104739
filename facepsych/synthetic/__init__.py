"""facepsych.synthetic"""
