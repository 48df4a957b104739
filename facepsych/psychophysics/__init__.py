"""facepsych.psychophysics"""
