"""Write ``nodesms/_sync_client.py``: the sync twins of :class:`nodesms.Client` and its API areas.

::

    python -m nodesms._gen_sync          # regenerate after changing the async client
    python -m nodesms._gen_sync --check  # exit status 1 if the file is stale

Every public method of ``Client`` and of each API area (the ``Client`` attributes annotated
with a :class:`~nodesms.resources._base.Resource` subclass) gets a twin with the same
parameters, defaults and docstring, read from the source (overloads too):

- ``async def`` → waits for the coroutine on the client's loop;
- a method returning an ``AsyncPaginator[T]`` → returns a ``SyncPaginator[T]``;
- an async generator (``-> AsyncIterator[T]``) → returns an ``Iterator[T]``;
- a method returning ``Client`` (``with_options``) → returns a ``SyncClient`` view;
- any other ``def`` → called as it is.

In parameter types, ``AsyncIterable[...]`` / ``AsyncIterator[...]`` members of a union are
dropped (a sync caller has none to give); properties of ``Client`` are forwarded. Names the
signatures use are imported from where they are defined, or from the module whose ``__all__``
exports them (a type alias must be exported: the generator says which).
"""

from __future__ import annotations

import argparse
import ast
import builtins
import enum
import importlib
import inspect
import subprocess
import sys
import textwrap
import typing
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

__all__ = ["REGENERATE", "TARGET", "generate", "is_current", "main", "normalized"]

TARGET = Path(__file__).with_name("_sync_client.py")
REGENERATE = "python -m nodesms._gen_sync"

_ASYNC_ONLY = frozenset({"AsyncIterable", "AsyncIterator", "AsyncGenerator"})
_SKIP_CLIENT = frozenset({"aclose"})  # SyncClient.close() is its twin


class GeneratorError(Exception):
    """The async client uses something the generator cannot mirror; the message says what."""


@dataclass
class _Imports:
    """``from module import name`` lines, by module."""

    names: dict[str, set[str]] = field(default_factory=dict)
    modules: dict[str, str] = field(default_factory=dict)  # local name -> module

    def add(self, module: str, name: str) -> None:
        self.names.setdefault(module, set()).add(name)

    def lines(self) -> list[str]:
        sections: list[list[str]] = [[], [], []]  # stdlib, third party, nodesms
        for alias, module in sorted(self.modules.items(), key=lambda item: item[1]):
            line = f"import {module}" if alias == module else f"import {module} as {alias}"
            sections[_section(module)].append(line)
        for module in sorted(self.names):
            names = ", ".join(sorted(self.names[module], key=_isort_key))
            sections[_section(module)].append(f"from {module} import {names}")
        out = ["from __future__ import annotations"]
        for section in sections:
            if section:
                out += ["", *section]
        return out


def _section(module: str) -> int:
    root = module.split(".")[0]
    if root == "nodesms":
        return 2
    return 0 if root in sys.stdlib_module_names else 1


@dataclass
class _Method:
    name: str
    node: ast.FunctionDef | ast.AsyncFunctionDef
    module: ModuleType
    overloads: list[ast.FunctionDef | ast.AsyncFunctionDef] = field(default_factory=list)
    is_property: bool = False


def _decorators(node: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    return {ast.unparse(d).rsplit(".", 1)[-1] for d in node.decorator_list}


def _methods(cls: type) -> dict[str, _Method]:
    """Public methods and properties of ``cls`` and its nodesms bases, from their source."""
    found: dict[str, _Method] = {}
    for klass in reversed(cls.__mro__):
        if not klass.__module__.startswith("nodesms"):
            continue
        module = sys.modules[klass.__module__]
        (tree,) = ast.parse(textwrap.dedent(inspect.getsource(klass))).body
        assert isinstance(tree, ast.ClassDef)
        for node in tree.body:
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            if node.name.startswith("_") and node.name != "__init__":
                continue
            decorators = _decorators(node)
            if "overload" in decorators:
                pending = found.get(node.name)
                if pending is None or pending.module is not module or not pending.overloads:
                    pending = found[node.name] = _Method(node.name, node, module)
                pending.overloads.append(node)
                continue
            if decorators - {"property"}:
                raise GeneratorError(
                    f"{klass.__name__}.{node.name}: decorators {sorted(decorators)} are not "
                    "mirrored; teach nodesms/_gen_sync.py about them"
                )
            method = found.get(node.name)
            overloads = method.overloads if method is not None and method.module is module else []
            found[node.name] = _Method(
                node.name, node, module, overloads, is_property="property" in decorators
            )
    return found


def _resources(client: type) -> list[tuple[str, type, str | None]]:
    """``(attribute, resource class, docstring)`` of each API area of ``Client``."""
    from .resources._base import Resource

    hints = typing.get_type_hints(client)
    (tree,) = ast.parse(textwrap.dedent(inspect.getsource(client))).body
    assert isinstance(tree, ast.ClassDef)
    docs: dict[str, str] = {}
    for node, after in zip(tree.body, [*tree.body[1:], None], strict=True):
        if not (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)):
            continue
        if isinstance(after, ast.Expr) and isinstance(after.value, ast.Constant):
            docs[node.target.id] = str(after.value.value)
    return [
        (name, hint, docs.get(name))
        for name, hint in hints.items()
        if isinstance(hint, type) and issubclass(hint, Resource)
    ]


class _Rewrite(ast.NodeTransformer):
    """Async types to their sync twins, and the names used, for imports."""

    def __init__(self, *, drop_async: bool) -> None:
        self.drop_async = drop_async
        self.names: set[str] = set()

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        if not isinstance(node.op, ast.BitOr):
            return self.generic_visit(node)
        members = _union_members(node)
        if self.drop_async:
            members = [m for m in members if not _is_async_only(m)]
            if not members:
                raise GeneratorError(f"{ast.unparse(node)}: nothing left for a sync caller")
        visited: list[ast.expr] = [self.visit(m) for m in members]
        rebuilt = visited[0]
        for member in visited[1:]:
            rebuilt = ast.BinOp(rebuilt, ast.BitOr(), member)
        return rebuilt

    def visit_Name(self, node: ast.Name) -> ast.AST:
        renamed = {"AsyncPaginator": "SyncPaginator", "Client": "SyncClient"}.get(node.id)
        if renamed is not None:
            return ast.copy_location(ast.Name(renamed, node.ctx), node)
        self.names.add(node.id)
        return node


def _union_members(node: ast.expr) -> list[ast.expr]:
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return [*_union_members(node.left), *_union_members(node.right)]
    return [node]


def _is_async_only(node: ast.expr) -> bool:
    base = node.value if isinstance(node, ast.Subscript) else node
    return (
        isinstance(base, (ast.Name, ast.Attribute))
        and ast.unparse(base).split(".")[-1] in _ASYNC_ONLY
    )


class _Writer:
    def __init__(self) -> None:
        self.imports = _Imports()
        self.lines: list[str] = []

    # -- names -------------------------------------------------------------------------------

    def need(self, names: Iterable[str], module: ModuleType, where: str) -> None:
        for name in names:
            self._need(name, module, where)

    def _need(self, name: str, module: ModuleType, where: str) -> None:
        if name in {"SyncPaginator", "SyncClient", "Iterator", "overload"}:
            return
        scope = vars(module)
        if name not in scope and hasattr(builtins, name):
            return
        if name not in scope:
            raise GeneratorError(f"{where}: {name!r} is not defined in {module.__name__}")
        value = scope[name]
        if isinstance(value, ModuleType):
            self.imports.modules[name] = value.__name__
            return
        origin = getattr(value, "__module__", None)
        own_name = getattr(value, "__name__", None)
        home = sys.modules.get(origin) if isinstance(origin, str) else None
        if home is not None and own_name == name and getattr(home, name, None) is value:
            self.imports.add(home.__name__, name)
            return
        # A type alias has no home of its own: take it from where the method's module
        # imports it (the same answer whatever else happens to be imported).
        for exporter in (module, _imported_from(module, name)):
            if (
                exporter is not None
                and name in getattr(exporter, "__all__", ())
                and getattr(exporter, name) is value
            ):
                self.imports.add(exporter.__name__, name)
                return
        raise GeneratorError(
            f"{where}: the sync facade cannot import {name!r}; add it to the __all__ of "
            f"{module.__name__}, then run {REGENERATE}"
        )

    def default(self, node: ast.expr, module: ModuleType, where: str) -> str:
        try:
            ast.literal_eval(node)
        except ValueError:
            pass
        else:
            return ast.unparse(node)
        if isinstance(node, ast.Constant) and node.value is Ellipsis:
            return "..."
        root = node
        while isinstance(root, ast.Attribute):
            root = root.value
        if isinstance(root, ast.Name):
            try:
                self._need(root.id, module, where)
            except GeneratorError:
                pass
            else:
                return ast.unparse(node)
        value = eval(ast.unparse(node), vars(module))  # a name or attribute of that module
        if isinstance(value, enum.Enum):
            cls = type(value)
            self.imports.add(cls.__module__, cls.__name__)
            return f"{cls.__name__}.{value.name}"
        if value is None or isinstance(value, (bool, int, float, str, bytes)):
            return repr(value)
        raise GeneratorError(f"{where}: default {ast.unparse(node)} cannot be written out")

    def annotation(
        self, node: ast.expr | None, module: ModuleType, where: str, *, drop_async: bool
    ) -> str:
        if node is None:
            raise GeneratorError(f"{where}: every parameter and return needs a type")
        rewrite = _Rewrite(drop_async=drop_async)
        out = rewrite.visit(ast.parse(ast.unparse(node), mode="eval").body)
        self.need(rewrite.names, module, where)
        return ast.unparse(out)

    # -- signatures --------------------------------------------------------------------------

    def signature(
        self, method: _Method, node: ast.FunctionDef | ast.AsyncFunctionDef, where: str
    ) -> tuple[list[str], list[str]]:
        """The parameters (one per line) and the call's arguments."""
        args = node.args
        module = method.module
        positional = [*args.posonlyargs, *args.args]
        defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults))
        defaults += args.defaults
        params: list[str] = []
        call: list[str] = []

        def param(arg: ast.arg, default: ast.expr | None, prefix: str = "") -> str:
            text = f"{prefix}{arg.arg}: " + self.annotation(
                arg.annotation, module, f"{where}({arg.arg})", drop_async=True
            )
            if default is not None:
                text += " = " + self.default(default, module, f"{where}({arg.arg})")
            return text

        for index, (arg, default) in enumerate(zip(positional, defaults, strict=True)):
            if index == 0:
                continue  # self
            params.append(param(arg, default))
            if index < len(args.posonlyargs):
                call.append(arg.arg)
                if index == len(args.posonlyargs) - 1:
                    params.append("/")
            else:
                call.append(f"{arg.arg}={arg.arg}")
        if args.vararg is not None:
            params.append(param(args.vararg, None, "*"))
            call.append(f"*{args.vararg.arg}")
        elif args.kwonlyargs:
            params.append("*")
        for arg, kw_default in zip(args.kwonlyargs, args.kw_defaults, strict=True):
            params.append(param(arg, kw_default))
            call.append(f"{arg.arg}={arg.arg}")
        if args.kwarg is not None:
            params.append(param(args.kwarg, None, "**"))
            call.append(f"**{args.kwarg.arg}")
        return params, call

    def returns(self, method: _Method, node: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
        where = f"{method.name}() return"
        if _is_async_generator(node):
            assert node.returns is not None
            if not (isinstance(node.returns, ast.Subscript) and _is_async_only(node.returns)):
                raise GeneratorError(f"{where}: annotate async generators AsyncIterator[T]")
            item = self.annotation(node.returns.slice, method.module, where, drop_async=False)
            return f"Iterator[{item}]"
        return self.annotation(node.returns, method.module, where, drop_async=False)

    # -- output ------------------------------------------------------------------------------

    def emit(self, text: str = "", indent: int = 0) -> None:
        self.lines.extend(
            ("    " * indent + line) if line else "" for line in text.split("\n")
        )  # fmt: skip

    def docstring(self, doc: str | None, indent: int) -> None:
        if not doc:
            return
        prefix = "r" if "\\" in doc else ""
        if '"""' in doc or doc.endswith(("\\", '"')):
            raise GeneratorError(f"cannot copy the docstring {doc[:40]!r}")
        lines = doc.split("\n")
        if len(lines) == 1:
            self.emit(f'{prefix}"""{doc}"""', indent)
            return
        self.emit(f'{prefix}"""{lines[0]}', indent)
        for line in lines[1:]:
            self.emit(line, indent if line else 0)
        self.emit('"""', indent)

    def method(self, method: _Method, target: str, *, client: bool = False) -> None:
        """One twin (overloads first). ``target`` is the async object's expression."""
        node = method.node
        for overload in method.overloads:
            params, _ = self.signature(method, overload, f"{method.name}()")
            self.emit("@overload", 1)
            self._def(method.name, params, self.returns(method, overload))
            self.emit("...", 2)
            self.emit()
        params, call = self.signature(method, node, f"{method.name}()")
        returns = self.returns(method, node)
        if method.is_property:
            self.emit("@property", 1)
        self._def(method.name, params, returns)
        self.docstring(ast.get_docstring(node), 2)
        if method.is_property:
            self.emit(f"return self._client.{method.name}", 2)
            self.emit()
            return
        invoke = f"{target}.{method.name}(\n" + "".join(f"    {a},\n" for a in call) + ")"
        if not call:
            invoke = f"{target}.{method.name}()"
        owner = "self" if client else "self._owner"
        if _is_async_generator(node):
            body = f"return {owner}._iterate({invoke})"
        elif isinstance(node, ast.AsyncFunctionDef):
            body = f"return {owner}._run({invoke})"
        elif returns.startswith("SyncPaginator["):
            body = f"return SyncPaginator({owner}, {invoke})"
        elif returns == "SyncClient":
            body = f"return {owner}._view({invoke})"
        else:
            body = f"return {invoke}"
        self.emit(textwrap.indent(body, "        "))
        self.emit()

    def _def(self, name: str, params: Sequence[str], returns: str) -> None:
        if not params:
            self.emit(f"def {name}(self) -> {returns}:", 1)
            return
        self.emit(f"def {name}(", 1)
        self.emit("self,", 2)
        for item in params:
            self.emit(item if item in ("*", "/") else f"{item},", 2)
            if item in ("*", "/"):
                self.lines[-1] += ","
        self.emit(f") -> {returns}:", 1)


def _imported_from(module: ModuleType, name: str) -> ModuleType | None:
    """The module ``module``'s source imports ``name`` from, if it does."""
    tree = ast.parse(inspect.getsource(module))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and any(a.name == name for a in node.names):
            package = module.__name__ if hasattr(module, "__path__") else module.__package__
            target = "." * node.level + (node.module or "")
            return importlib.import_module(target, package) if node.level else (
                importlib.import_module(target)
            )  # fmt: skip
    return None


def _is_async_generator(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    if not isinstance(node, ast.AsyncFunctionDef):
        return False
    todo: list[ast.AST] = list(node.body)
    while todo:
        item = todo.pop()
        if isinstance(item, (ast.Yield, ast.YieldFrom)):
            return True
        if not isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            todo.extend(ast.iter_child_nodes(item))
    return False


_CLIENT_DOC = """A synchronous client for one gateway account: :class:`nodesms.Client` for code
without an event loop (Django, Flask, Celery, scripts, notebooks).

::

    with nodesms.SyncClient("https://panel.example.com.tr:9588", "user", "pass") as client:
        sent = client.sms.create_otp(number="0555 123 45 67", sender="ACME",
                                     content="Kodunuz: 482913")
        for pkg in client.sms.list(start_date=yesterday):
            ...

It takes the same arguments as :class:`~nodesms.Client` (except ``session=``: it makes its
own) and has the same API areas, methods, parameters, results and errors; list methods
return a :class:`~nodesms.SyncPaginator`. It runs one ``Client`` on its own event loop on a
background thread, with one connection pool, and may be shared by any number of threads.
Close it with :meth:`close` or ``with`` (it is also closed when collected or at exit).
Calling it from a running event loop raises :class:`~nodesms.NodeSMSError`: use ``Client``
there. Create one per process: it does not survive ``fork``."""


def generate() -> str:
    """The source of ``nodesms/_sync_client.py`` for the async client as it is now."""
    from ._client import Client

    writer = _Writer()
    writer.imports.add("nodesms._client", "Client")
    writer.imports.add("nodesms._sync", "SyncClientBase")
    resources = _resources(Client)
    body_start = len(writer.lines)
    for attribute, resource, _ in resources:
        methods = _methods(resource)
        writer.emit(f"class Sync{resource.__name__}:")
        doc = inspect.getdoc(resource) or ""
        writer.docstring(f"Sync twin of ``Client.{attribute}``: {doc}", 1)
        writer.emit()
        writer.emit("def __init__(self, owner: SyncClient) -> None:", 1)
        writer.emit("self._owner = owner", 2)
        writer.emit()
        for method in methods.values():
            if method.name == "__init__":
                continue
            writer.method(method, f"self._owner._target().{attribute}")
        writer.emit()
    client_methods = _methods(Client)
    writer.emit("class SyncClient(SyncClientBase):")
    writer.docstring(_CLIENT_DOC, 1)
    writer.emit()
    for attribute, resource, area_doc in resources:
        writer.emit(f"{attribute}: Sync{resource.__name__}", 1)
        writer.docstring(area_doc, 1)
    writer.emit()
    init = client_methods.pop("__init__")
    params, call = writer.signature(init, init.node, "Client.__init__()")
    writer._def("__init__", params, "None")
    writer.docstring("Check the arguments and start the background loop; see ``Client``.", 2)
    if any(p.startswith("session:") for p in params):
        writer.imports.add("nodesms._sync", "refuse_session")
        writer.emit("refuse_session(session)", 2)
    writer.emit(
        "self._start(\n    lambda: Client(\n"
        + "".join(f"        {a},\n" for a in call)
        + "    )\n)",
        2,
    )
    writer.emit()
    writer.emit("def _bind(self) -> None:", 1)
    for attribute, resource, _ in resources:
        writer.emit(f"self.{attribute} = Sync{resource.__name__}(self)", 2)
    writer.emit()
    for method in client_methods.values():
        if method.name not in _SKIP_CLIENT:
            writer.method(method, "self._target()", client=True)
    body = writer.lines[body_start:]
    if any("SyncPaginator(" in line or "SyncPaginator[" in line for line in body):
        writer.imports.add("nodesms._sync", "SyncPaginator")
    if any("Iterator[" in line for line in body):
        writer.imports.add("collections.abc", "Iterator")
    if any(line.strip() == "@overload" for line in body):
        writer.imports.add("typing", "overload")
    header = [
        f'"""The sync twins of ``Client`` and its API areas. Generated by ``{REGENERATE}``',
        'from the async client: do not edit (a test fails when it is stale)."""',
        "",
        *writer.imports.lines(),
        "",
        '__all__ = ["SyncClient"]',
        "",
        "",
    ]
    return "\n".join(header + body).rstrip() + "\n"


def _format(source: str) -> str:
    """``ruff format`` the source when ruff is installed (the check does not depend on it)."""
    try:
        done = subprocess.run(
            [sys.executable, "-m", "ruff", "format", "--stdin-filename", str(TARGET), "-"],
            input=source,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return source
    return done.stdout


def normalized(source: str) -> str:
    """The source's syntax tree, blind to formatting (docstrings compared cleaned)."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            value = body[0].value
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                value.value = inspect.cleandoc(value.value)
    return ast.dump(tree)


def is_current() -> bool:
    """True when ``nodesms/_sync_client.py`` is what :func:`generate` writes now."""
    if not TARGET.exists():
        return False
    return normalized(TARGET.read_text(encoding="utf-8")) == normalized(generate())


def main(argv: Sequence[str] | None = None) -> int:
    """Regenerate the file (or, with ``--check``, only report whether it is stale)."""
    parser = argparse.ArgumentParser(prog="python -m nodesms._gen_sync", description=__doc__)
    parser.add_argument("--check", action="store_true", help="exit 1 if the file is stale")
    args = parser.parse_args(argv)
    if args.check:
        if is_current():
            return 0
        print(f"{TARGET} is stale; run: {REGENERATE}", file=sys.stderr)
        return 1
    TARGET.write_text(_format(generate()), encoding="utf-8")
    print(f"wrote {TARGET}")
    return 0


def _isort_key(name: str) -> tuple[int, str]:
    """isort's (and ruff's) order within one import: CONSTANTS, then Classes (a lone capital
    such as a TypeVar counts as a class), then the rest."""
    if name.isupper() and len(name) > 1:
        return (0, name)
    return (1 if name[0].isupper() else 2, name)


if __name__ == "__main__":
    sys.exit(main())
