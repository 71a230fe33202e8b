"""The dispatch code behind mdlfast.kernels, one module per kernel family."""
