def check_grads(*a, **k): pass
