"""facepsych: computational psychophysics of face-emotion CNNs.

Implements the paradigm of Ying, Li & Chen (2023, arXiv:2310.13674): CNNs pre-trained on objects or
face identities, frozen and transferred to facial valence, tested on morph continua, fitted with
psychometric functions, compared with human observers, and read out with CAM attention maps.
"""

from facepsych.errors import FacepsychError

__version__ = "0.1.0"
__all__ = ["FacepsychError", "__version__"]
