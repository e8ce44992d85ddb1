"""Exceptions raised by knet_ast.

Every error about the user's code carries the file, the line number in that
file, the text of the line, and what to do instead, so that the message alone
is enough to fix the problem.
"""


class KnetError(Exception):
    """Base class of every knet_ast error.

    Examples
    --------
    >>> issubclass(knet.UnsupportedSyntaxError, knet.KnetError)
    True
    """


class SourceError(KnetError):
    """An error located in the user's source: construct, file, line, fix.

    The attributes `what`, `filename`, `lineno`, `line`, `hint` and `function`
    hold the parts of the message; `see` names the documentation page about it.

    Examples
    --------
    >>> def f(x):
    ...     global total
    ...     return x
    >>> try:
    ...     knet.grad(f)
    ... except knet.SourceError as error:
    ...     print(error.what, "| line", error.lineno, "|", error.line.strip(), "|", error.see)
    `global` declarations cannot be differentiated | line 2 | global total | docs/constructs.md
    """

    see = None  # the page of docs/ that explains this kind of error

    def __init__(self, what, filename=None, lineno=None, line=None, hint=None, function=None):
        self.what = what
        self.filename = filename
        self.lineno = lineno
        self.line = line
        self.hint = hint
        self.function = function
        super().__init__(self._format())

    def _format(self):
        parts = [self.what]
        if self.filename is not None:
            where = f'  File "{self.filename}", line {self.lineno}'
            if self.function:
                where += f", in {self.function}"
            parts.append(where)
            if self.line:
                parts.append("    " + self.line.strip())
        if self.hint:
            parts.append(self.hint)
        if self.see:
            parts.append(f"See {self.see} in knet_ast's documentation.")
        return "\n".join(parts)


class UnsupportedSyntaxError(SourceError):
    """A Python construct that knet_ast cannot differentiate (yet).

    Raised by knet.grad itself, before anything runs.

    Examples
    --------
    >>> def f(x):
    ...     try:
    ...         return np.log(x)
    ...     except FloatingPointError:
    ...         return 0.0
    >>> knet.grad(f)
    Traceback (most recent call last):
    ...
    knet_ast.errors.UnsupportedSyntaxError: `try` statements cannot be differentiated
      File "<doctest ...>", line 2, in f
        try:
    Move the try/except outside the differentiated function, ...
    See docs/constructs.md in knet_ast's documentation.
    """

    see = "docs/constructs.md"


class InputMutationError(SourceError):
    """The function writes into a value that carries a gradient.

    Examples
    --------
    >>> def f(x):
    ...     x[0] = 0.0
    ...     return np.sum(x ** 2)
    >>> knet.grad(f)(np.ones(3))
    Traceback (most recent call last):
    ...
    knet_ast.errors.InputMutationError: ...
    """

    see = "docs/constructs.md"


class NoRuleError(SourceError):
    """A call that carries a gradient has neither a rule nor Python source.

    Examples
    --------
    >>> @knet.primitive                  # declared a primitive, but given no gradient rule
    ... def opaque(x):
    ...     return 2 * x
    >>> def f(x):
    ...     return opaque(x)
    >>> knet.grad(f)(1.0)
    Traceback (most recent call last):
    ...
    knet_ast.errors.NoRuleError: ...
    """

    see = "docs/extending.md"


class NonScalarOutputError(SourceError):
    """The differentiated function returned something that is not a scalar.

    Examples
    --------
    >>> def f(x):
    ...     return x * 2
    >>> knet.grad(f)(np.ones(3))
    Traceback (most recent call last):
    ...
    knet_ast.errors.NonScalarOutputError: ...
    """


class SourceUnavailableError(KnetError):
    """inspect.getsource could not find the function's source."""
