"""gast -> Python source -> live functions.

The source is rendered with `gast.unparse` (the standard library's
`ast.unparse` underneath). Comments are carried through the tree as marked
string statements and turned into real `#` comments here. The text is then
parsed again, so that the compiled code's line numbers are the lines of the
text the user reads (`g.source`); it is registered with linecache, so
tracebacks and pdb show the generated lines.

Each generated function is created with the globals of the user function it
came from (live: later changes to module globals are seen), while runtime
helpers and the other generated functions reach it through closure cells, so
nothing is ever written into the user's module.
"""
import ast
import builtins
import itertools
import linecache
import types

import gast

from .reverse import COMMENT

_counter = itertools.count(1)


class Unit:
    """One generated function and the user function whose namespace it lives in."""

    def __init__(self, node, user_func, defaults=None, kwdefaults=None, filename=None):
        self.node = node
        self.filename = filename
        self.user_func = user_func
        self.defaults = defaults
        self.kwdefaults = kwdefaults


def render(nodes):
    """Readable source for gast function definitions, with comments."""
    module = gast.Module(body=list(nodes), type_ignores=[])
    text = gast.unparse(gast.fix_missing_locations(module))
    lines = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped[1:1 + len(COMMENT)] == COMMENT and stripped[0] in "'\"":
            indent = line[:len(line) - len(line.lstrip())]
            comment = ast.literal_eval(stripped)[len(COMMENT):]
            if comment == "reverse sweep":
                lines.append("")
            lines.append(f"{indent}# {comment}")
        else:
            lines.append(line)
    return "\n".join(lines) + "\n"


def compile_units(units, shared, title):
    """Compile `units` (a list of Unit); return (source, {name: function}, line map).

    The line map takes a line of the generated source to (user file, user line).

    `shared` maps the names generated code uses besides user names (runtime
    helpers, rule kernels) to their values.
    """
    shared = _resolve_clashes(units, dict(shared))
    source = render([u.node for u in units])
    filename = f"<knet_ast-{next(_counter)}: {title}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    tree = ast.parse(source, filename)
    generated = [u.node.name for u in units]
    cells = {name: types.CellType(value) for name, value in shared.items()}
    cells.update({name: types.CellType() for name in generated})
    functions, lines = {}, {}
    for unit, node in zip(units, tree.body):
        lines.update(_line_map(unit, node))
        user_cells = _closure_cells(unit.user_func)
        free = sorted(set(cells) | set(user_cells))
        code = _inner_code(node, free, filename)
        closure = tuple(user_cells.get(n) or cells[n] for n in code.co_freevars)
        fn = types.FunctionType(code, unit.user_func.__globals__, node.name, unit.defaults,
                                closure)
        fn.__kwdefaults__ = unit.kwdefaults
        fn.knet_tapes = getattr(unit.node, "knet_tapes", frozenset())  # for grad of this gradient
        functions[node.name] = fn
        cells[node.name].cell_contents = fn
    return source, functions, (filename, lines)


def _line_map(unit, node):
    """Pair generated statements (ast, from the text) with their gast originals."""
    generated = [s for s in ast.walk(node) if isinstance(s, ast.stmt)]
    original = [s for s in gast.walk(unit.node) if isinstance(s, gast.stmt) and not
                (isinstance(s, gast.Expr) and isinstance(s.value, gast.Constant)
                 and str(s.value.value).startswith(COMMENT))]
    return {g.lineno: (unit.filename, o.user_line) for g, o in zip(generated, original)
            if hasattr(o, "user_line")}


def _resolve_clashes(units, shared):
    """Rename knet_ast's own names where the user's code means something else by them.

    Generated code refers to runtime helpers, kernels, `np`, builtins and the other
    generated functions by plain names (marked `knet_ref`). If a user function has a
    local of that name, or a global bound to another object, ours become `name_`.
    Returns `shared` extended with the new names.
    """
    generated = {u.node.name for u in units}
    ours = {}
    for unit in units:
        for node in gast.walk(unit.node):
            if isinstance(node, gast.Name) and getattr(node, "knet_ref", False):
                ours[node.id] = shared.get(node.id, getattr(builtins, node.id, None))
    clashes = set()
    for unit in units:
        names = [n for n in gast.walk(unit.node) if isinstance(n, gast.Name)
                 and not getattr(n, "knet_ref", False)]
        local = {n.id for n in names if not isinstance(n.ctx, gast.Load)}
        for node in names:
            name = node.id
            if name in generated or (name in ours and (name in local or _user_binding(
                    unit.user_func, name) is not ours[name])):
                clashes.add(name)
    taken = {n.id for u in units for n in gast.walk(u.node) if isinstance(n, gast.Name)} | generated
    renames = {}
    for name in sorted(clashes):
        new = name + "_"
        while new in taken:
            new += "_"
        taken.add(new)
        renames[name] = new
        if name in ours:
            shared[new] = ours[name]
            shared.pop(name, None)  # the plain name must reach the user's own binding
    for unit in units:
        if unit.node.name in renames:
            unit.node.name = renames[unit.node.name]
        for node in gast.walk(unit.node):
            if isinstance(node, gast.Name) and getattr(node, "knet_ref", False) \
                    and node.id in renames:
                node.id = renames[node.id]
    return shared


def _user_binding(func, name):
    cells = _closure_cells(func)  # generated code (a gradient differentiated again) has its
    if name in cells:             # helpers in closure cells
        return cells[name].cell_contents
    return func.__globals__.get(name, getattr(builtins, name, _UNBOUND))


_UNBOUND = object()


def _inner_code(node, free_names, filename):
    """Compile `node` nested in a factory whose parameters are `free_names`."""
    factory = ast.FunctionDef(
        name="_knet_factory",
        args=ast.arguments(posonlyargs=[], args=[ast.arg(arg=n) for n in free_names],
                           vararg=None, kwonlyargs=[], kw_defaults=[], kwarg=None, defaults=[]),
        body=[node, ast.Return(value=ast.Name(id=node.name, ctx=ast.Load()))],
        decorator_list=[], returns=None)
    for new in (factory, factory.body[-1], factory.body[-1].value):
        new.lineno, new.end_lineno = node.lineno, node.end_lineno
        new.col_offset, new.end_col_offset = 0, 0
    module = ast.Module(body=[factory], type_ignores=[])
    code = compile(ast.fix_missing_locations(module), filename, "exec")
    factory_code = _const_code(code, "_knet_factory")
    return _const_code(factory_code, node.name)


def _const_code(code, name):
    return next(c for c in code.co_consts if isinstance(c, types.CodeType) and c.co_name == name)


def _closure_cells(func):
    return dict(zip(func.__code__.co_freevars, func.__closure__ or ()))
