"""Source-to-source transformation: user function -> adjoint source."""
