"""facepsych.report"""
