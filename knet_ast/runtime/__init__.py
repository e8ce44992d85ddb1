"""What generated code calls at run time: the tape, the backend, accumulation."""
