# CPython stand-in for MicroPython's `micropython` module: only what the agent uses.


def const(value):
    return value


def schedule(func, arg):
    func(arg)


def mem_info(*_):
    pass
