"""facepsych.stimuli"""
