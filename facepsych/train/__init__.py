"""facepsych.train"""
