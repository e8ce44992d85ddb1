"""Python operators: + - * / ** @ // % and unary minus/plus."""
import operator

from .elementwise import pow_da, pow_db
from .linalg import matmul_da, matmul_db
from .registry import CONCAT, POW_CONSTANT, defgrad, elementwise, nondiff

# --- binary operators ---
defgrad(operator.add, "a, b", a="unbroadcast(dy, a)", b="unbroadcast(dy, b)")
defgrad(operator.sub, "a, b", a="unbroadcast(dy, a)", b="unbroadcast(-dy, b)")
defgrad(operator.mul, "a, b", a="unbroadcast(dy * b, a)", b="unbroadcast(dy * a, b)")
defgrad(operator.truediv, "a, b", a="unbroadcast(dy / b, a)", b="unbroadcast(-dy * y / b, b)")
defgrad(operator.mod, "a, b", a="unbroadcast(dy, a)", b="unbroadcast(-dy * np.floor_divide(a, b), b)")
defgrad(operator.matmul, "a, b", a="matmul_da(dy, a, b)", b="matmul_db(dy, a, b)",
        namespace={"matmul_da": matmul_da, "matmul_db": matmul_db})


defgrad(operator.pow, "a, b", a="unbroadcast(pow_da(dy, a, b), a)",
        b="unbroadcast(pow_db(dy, a, y), b)", namespace={"pow_da": pow_da, "pow_db": pow_db})
defgrad(POW_CONSTANT, "a, b", a="unbroadcast(dy * b * a ** (b - 1), a)")  # `x ** 2`: b != 0

elementwise(operator.add, operator.sub, operator.mul, operator.truediv, operator.mod, operator.pow,
            POW_CONSTANT)

# --- sequences: `xs + [v]` on lists and tuples (chosen when an operand is known to be one) ---
defgrad(CONCAT, "a, b", a="dy[:length(a)]", b="dy[length(a):]", sequences=["a", "b"])

# --- unary operators ---
defgrad(operator.neg, "a", a="-dy")
defgrad(operator.pos, "a", a="dy")
elementwise(operator.neg, operator.pos)

nondiff(operator.floordiv, operator.not_, operator.invert, operator.lt, operator.le,
        operator.eq, operator.ne, operator.ge, operator.gt, operator.and_, operator.or_,
        operator.xor, operator.lshift, operator.rshift)
