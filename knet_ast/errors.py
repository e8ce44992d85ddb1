"""Exceptions raised by knet_ast.

Every error about the user's code carries the file, the line number in that
file, the text of the line, and what to do instead, so that the message alone
is enough to fix the problem.
"""


class KnetError(Exception):
    """Base class of every knet_ast error."""


class SourceError(KnetError):
    """An error located in the user's source: construct, file, line, fix."""

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
        return "\n".join(parts)


class UnsupportedSyntaxError(SourceError):
    """A Python construct that knet_ast cannot differentiate (yet)."""


class InputMutationError(SourceError):
    """The function writes into a value that carries a gradient."""


class NoRuleError(SourceError):
    """A call that carries a gradient has neither a rule nor Python source."""


class NonScalarOutputError(SourceError):
    """The differentiated function returned something that is not a scalar."""


class SourceUnavailableError(KnetError):
    """inspect.getsource could not find the function's source."""
