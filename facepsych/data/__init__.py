"""facepsych.data"""
