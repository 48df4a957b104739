"""facepsych.experiment"""
