"""Code generation: IR to Python source and a compiled function."""
