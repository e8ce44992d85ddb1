"""The whole transformation, one pass per line.

    parse -> fence -> closures -> comprehensions -> jumps -> desugar -> anf -> ssa
          -> activity -> reverse -> optimize -> emit

`build_gradient(f, wrt)` runs it for f and, through `Program.specialize`, for
every helper f calls with a differentiated argument (each helper once per set
of differentiated parameters, which also makes recursion terminate).
"""
import copy
import dataclasses

import gast

from ..primitives import registry
from .activity import activity
from .anf import anf
from .closures import LocalFunction, closures, parse_local
from .comprehensions import comprehensions
from .desugar import desugar
from .emit import Unit, compile_units, render
from .fence import fence
from .forward import Forward
from .jumps import jumps
from .naming import Namer
from .optimize import optimize
from .parse import LAMBDA_NAME, param_names, parse_function
from .reverse import Reverse
from .ssa import ssa

PASSES = [("fence", fence), ("closures", closures), ("comprehensions", comprehensions), ("jumps", jumps),
          ("desugar", desugar), ("anf", anf), ("ssa", ssa)]


def parse_primal(func):
    """Parse what `grad(func)` differentiates: `func`'s source or, for a gradient (a
    GradFunction), the code generated for it, returning only the gradient."""
    if isinstance(func, LocalFunction):
        return parse_local(func)
    generated = getattr(func, "generated_code", None)
    if generated is None:
        return parse_function(func)
    function, returns_tuple, dependency = generated()
    parsed = parse_function(function)
    parsed.dependencies.append(dependency)
    ret = parsed.node.body[-1]  # `return (value, gradients)`
    grads = ret.value.elts[1]
    ret.value = gast.Tuple(elts=[grads], ctx=gast.Load()) if returns_tuple else grads
    return parsed


def source_function(func):
    """The function whose globals, closure cells and defaults generated code for `func` uses."""
    generated = getattr(func, "generated_code", None)
    return generated()[0] if generated is not None else func


def prepare(func, active_params, verbose=0, statics=()):
    """Parse `func` and run the passes up to activity analysis. `statics` pairs parameters
    with the nested functions the caller passes in them."""
    parsed = parse_primal(func)
    parsed.static_functions = dict(statics)
    parsed.namer = Namer(_names_in(parsed.node) | set(registry.RUNTIME))
    for name, run in PASSES:
        parsed = run(parsed)
        if verbose >= 2:
            print(f"# --- {parsed.qualname} after {name} ---")
            print(render([parsed.node]))
    return activity(parsed, active_params)


@dataclasses.dataclass
class Spec:
    """A helper specialised for a set of differentiated parameters, and its two functions."""
    func: object
    params: tuple
    fwd: str
    bwd: str


class Program:
    """Collects the generated functions of one gradient: the main one and its helpers."""

    def __init__(self, verbose=0):
        self.verbose = verbose
        self.specs = {}
        self.units = []
        self.function_names = set()
        self.dependencies = []
        self.plain = {}  # LocalFunction key -> name of its plain version

    def fresh_name(self, base):
        name, k = base, 1
        while name in self.function_names:
            k += 1
            name = f"{base}{k}"
        self.function_names.add(name)
        return name

    def specialize(self, func, params, statics=()):
        key = (func, params, statics)
        if key not in self.specs:
            spec = self.specs[key] = self.new_spec(func, params)
            parsed = prepare(func, params, self.verbose, statics)
            self.add_local_functions(parsed.node, parsed.filename)
            parsed.namer.taken |= self.function_names
            self.dependencies.append(parsed.dependencies)
            owner, defaults = _owner(func), source_function(func)
            for i, node in enumerate(self.generate(parsed, spec)):  # the first one takes
                self.units.append(Unit(node, owner, filename=parsed.filename, **(  # func's args
                    dict(defaults=defaults.__defaults__, kwdefaults=defaults.__kwdefaults__)
                    if i == 0 else {})))
        return self.specs[key]

    def new_spec(self, func, params):
        base = _base_name(func)
        return Spec(func, params, self.fresh_name(f"{base}_fwd"), self.fresh_name(f"{base}_bwd"))

    def generate(self, parsed, spec):
        """The helper's generated functions: `h_fwd(_tape, ...)`, `h_bwd(_tape, d_result)`."""
        return optimize(Reverse(parsed, self, split=True).split_functions(spec))

    def add_local_functions(self, tree, filename):
        """The plain (not differentiated) version of each nested function `tree` refers to, for
        the calls that pass it nothing differentiated."""
        for ref in [n for n in gast.walk(tree) if getattr(n, "knet_local", None)]:
            function = ref.knet_local
            if function.key not in self.plain:
                name = self.plain[function.key] = self.fresh_name(function.__name__)
                node = copy.deepcopy(function.node)
                node.name = name
                self.units.append(Unit(node, _owner(function), function.__defaults__,
                                       function.__kwdefaults__, filename))
                self.add_local_functions(node, filename)  # the nested functions it calls
            ref.id = self.plain[function.key]


class ForwardProgram(Program):
    """The generated functions of one tangent (jvp) function: each helper becomes `h_jvp`."""

    def new_spec(self, func, params):
        return Spec(func, params, self.fresh_name(f"{_base_name(func)}_jvp"), None)

    def generate(self, parsed, spec):
        return optimize([Forward(parsed, self).function(spec.fwd, spec.params)])


def build_gradient(func, wrt_names, verbose=0, seeded=False):
    """Generate, compile and return (source, gradient function) for `func`. `seeded`: the
    vector-Jacobian product, whose first parameter is the result's incoming gradient."""
    program = Program(verbose)
    parsed, name = _main(program, func, wrt_names, "vjp" if seeded else "grad")
    seed = parsed.namer.fresh("seed") if seeded else None
    (main,) = optimize([Reverse(parsed, program, split=False).main_function(name, wrt_names, seed)],
                       main=True)
    return _compile(func, main, program, parsed, verbose, "gradient")


def build_jvp(func, wrt_names, verbose=0):
    """Generate, compile and return the tangent function of `func` (forward mode)."""
    program = ForwardProgram(verbose)
    parsed, name = _main(program, func, wrt_names, "jvp")
    (main,) = optimize([Forward(parsed, program).function(name, wrt_names)])
    return _compile(func, main, program, parsed, verbose, "tangent")


def _main(program, func, wrt_names, prefix):
    """The prepared main function and the name of its generated version (`grad_f`, ...)."""
    parsed = prepare(func, wrt_names, program.verbose)
    name = program.fresh_name(f"{prefix}_{parsed.name}")
    program.add_local_functions(parsed.node, parsed.filename)
    parsed.namer.taken |= program.function_names
    return parsed, name


def _compile(func, main, program, parsed, verbose, kind):
    owner, defaults = _owner(func), source_function(func)
    units = [Unit(main, owner, defaults.__defaults__, defaults.__kwdefaults__, parsed.filename)] + \
        program.units
    shared = dict(registry.RUNTIME, **registry.KERNELS)
    source, functions, lines = compile_units(units, shared, f"{kind} of {func.__qualname__}")
    if verbose:
        print(source)
    dependencies = {(d.kind, id(d.container), d.key): d
                    for deps in [parsed.dependencies] + program.dependencies for d in deps}
    main_name = units[0].node.name  # `name`, unless it clashed with a name of the user's
    return Built(source, functions[main_name], lines, list(dependencies.values()))


class Built:
    """A compiled gradient: its source, its function, and where its lines came from."""

    def __init__(self, source, function, lines, dependencies=()):
        self.registry_version = registry.version()
        self.source, self.function = source, function
        self.filename, self.user_lines = lines
        self.dependencies = dependencies

    def is_current(self):
        """False if a function or module the transform resolved has been rebound since, or a
        rule was registered (knet.defgrad, knet.nondiff, knet.primitive)."""
        if self.registry_version != registry.version():
            return False
        for dependency in self.dependencies:  # a plain loop: this runs on every call
            if not dependency.holds():
                return False
        return True

    def user_location(self, traceback):
        """(file, line) in the user's code of the innermost generated frame of `traceback`."""
        found = None
        while traceback is not None:
            code = traceback.tb_frame.f_code
            if code.co_filename == self.filename and traceback.tb_lineno in self.user_lines:
                found = self.user_lines[traceback.tb_lineno]
            traceback = traceback.tb_next
        return found


def _base_name(func):
    """The stem of the names of a helper's generated functions: `h`, `grad_h`, `lambda_fn`."""
    base = func.__name__ if func.__name__.isidentifier() else LAMBDA_NAME
    return f"grad_{base}" if getattr(func, "generated_code", None) is not None else base


def _owner(func):
    """The user function whose globals and closure cells generated code for `func` uses."""
    return func.user_function if isinstance(func, LocalFunction) else source_function(func)


def _names_in(node):
    names = set(param_names(node))
    for sub in gast.walk(node):
        if isinstance(sub, gast.Name):
            names.add(sub.id)
    return names
