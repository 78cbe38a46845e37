"""mnist-kit: an autograded scikit-learn assignment on handwritten digits."""

__version__ = "0.1.0"
