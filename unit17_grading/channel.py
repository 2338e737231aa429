"""Autograded tests that the student's code cannot reach: a narrow channel to the kernel.

With nbgrader as it comes, the student's cells and the instructor's test
cells share one kernel, so student code can monkeypatch ``np.testing``,
install IPython input transformers that rewrite the test cells, hand in
objects whose ``__eq__`` always says yes, or print the hidden tests.

For exercises with ``trusted_tests = true`` in ``exercises/grading.toml``
:class:`unit17_grading.execute.RobustExecute` splits the notebook instead:

- the **sandboxed kernel** runs the instructor's set-up cells and every
  student cell, in order; it never sees a test cell;
- afterwards the grader defines a small request handler in that kernel
  (:data:`KERNEL_SERVER`) and runs the **test cells in its own (trusted)
  process** with :class:`TrustedTests`: the instructor's set-up cells are run
  again there (trusted NumPy, Keras, example data), and every name a test
  cell needs that the instructor did not define (the student's answers,
  functions and classes) is fetched from the kernel through the channel.

What crosses the channel is plain data only, encoded as JSON: ``None``,
``bool``, ``int``, ``float``, ``str`` (exact built-in types, never
subclasses), lists, tuples and dicts of those, and NumPy arrays and scalars
of numeric or boolean dtype as ``.npy`` bytes read back with
``allow_pickle=False``. Anything else (a function, a class, a Keras layer, a
``str`` subclass) stays in the kernel and is represented in the grader by an
opaque :class:`Remote` handle: calling it or reading an attribute sends a
request and returns data (or another handle); it compares equal only to
itself. An exception in the student's code comes back as the nearest
built-in exception type with its message. So whatever the student's code
does inside its own kernel, it can only change the *data* its answers
return; every comparison, expected value and hidden input is computed in the
grader, and the test cells' source never enters the kernel.

A failing test reports only its part and the failing line when that line is
visible to students; a failure in the hidden tests reports "hidden test
failed" and nothing else (no expected values, no seeds).
"""
from __future__ import annotations

import ast
import base64
import builtins
import contextlib
import io
import json
import traceback
from typing import Callable

import numpy as np

MAX_RESPONSE_CHARS = 64 * 2**20
MAX_DEPTH = 32
HIDDEN_MESSAGE = "隱藏測試未通過 (hidden test failed)"
BEGIN_HIDDEN, END_HIDDEN = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"

# Defined in the student's kernel after all its cells ran. It is only a convenience
# for the student's side: whatever it (or a student's replacement of it) answers is
# decoded in the grader as data.
KERNEL_SERVER = r'''
def _u17_make_server():
    import base64, builtins, io, json
    import numpy
    namespace = globals()
    handles = {}

    def enc(x, depth=0):
        if depth > 32:
            raise ValueError("nested too deeply")
        t = type(x)
        if x is None or t in (bool, int, float, str):
            return x
        if t in (list, tuple):
            return {"t": t.__name__, "v": [enc(i, depth + 1) for i in x]}
        if t is dict:
            return {"t": "dict", "v": [[enc(k, depth + 1), enc(v, depth + 1)] for k, v in x.items()]}
        if isinstance(x, numpy.generic) or hasattr(t, "__array__"):
            try:
                array = numpy.asarray(x)
            except Exception:
                array = None
            if array is not None and array.dtype.kind in "biufc":
                buffer = io.BytesIO()
                numpy.save(buffer, numpy.ascontiguousarray(array), allow_pickle=False)
                kind = "npscalar" if isinstance(x, numpy.generic) else "ndarray"
                return {"t": kind, "v": base64.b64encode(buffer.getvalue()).decode("ascii")}
        handles[len(handles) + 1] = x
        return {"t": "h", "id": len(handles), "type": str(getattr(t, "__name__", "object"))[:80],
                "callable": bool(callable(x))}

    def dec(v, depth=0):
        if depth > 32:
            raise ValueError("nested too deeply")
        if not isinstance(v, dict):
            return v
        kind = v["t"]
        if kind == "list":
            return [dec(i, depth + 1) for i in v["v"]]
        if kind == "tuple":
            return tuple(dec(i, depth + 1) for i in v["v"])
        if kind == "dict":
            return {dec(k, depth + 1): dec(i, depth + 1) for k, i in v["v"]}
        if kind in ("ndarray", "npscalar"):
            array = numpy.load(io.BytesIO(base64.b64decode(v["v"])), allow_pickle=False)
            return array[()] if kind == "npscalar" else array
        if kind == "h":
            return handles[v["id"]]
        raise ValueError(kind)

    def serve(request):
        try:
            request = json.loads(request)
            op = request["op"]
            if op == "lookup":
                if request["name"] not in namespace:
                    return json.dumps({"missing": True})
                value = namespace[request["name"]]
            elif op == "call":
                value = handles[request["id"]](*dec(request["args"]), **dec(request["kwargs"]))
            elif op == "getattr":
                value = getattr(handles[request["id"]], request["name"])
            else:
                raise ValueError(op)
            return json.dumps({"value": enc(value)})
        except BaseException as error:
            names = [c.__name__ for c in type(error).__mro__]
            try:
                message = str(error)[:2000]
            except BaseException:
                message = ""
            return json.dumps({"raise": names, "message": message})

    return serve


_u17_rpc = _u17_make_server()
del _u17_make_server
'''


class ChannelError(Exception):
    """The student's side answered something that is not a valid response."""


class RemoteError(Exception):
    """An exception in the student's code that is not a built-in exception type."""


class StudentTimeout(Exception):
    """The student's code did not answer within the cell's time limit."""


class Remote:
    """An object that lives in the student's kernel: call it or read attributes; nothing else."""

    __slots__ = ("_channel", "_id", "_type", "_callable")

    def __init__(self, channel: "Channel", ident: int, type_name: str, is_callable: bool):
        object.__setattr__(self, "_channel", channel)
        object.__setattr__(self, "_id", ident)
        object.__setattr__(self, "_type", type_name)
        object.__setattr__(self, "_callable", is_callable)

    def __call__(self, *args, **kwargs):
        return self._channel.request({"op": "call", "id": self._id, "args": encode((list(args))),
                                      "kwargs": encode(dict(kwargs))})

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        return self._channel.request({"op": "getattr", "id": self._id, "name": name})

    def __setattr__(self, name, value):
        raise AttributeError("the student's objects cannot be changed from the tests")

    def __repr__(self) -> str:
        return f"<student's {self._type} object>"

    def __eq__(self, other):
        return self is other

    def __hash__(self):
        return id(self)


def encode(value, depth: int = 0):
    """Trusted → kernel: plain data and handles only."""
    if depth > MAX_DEPTH:
        raise ValueError("nested too deeply")
    kind = type(value)
    if value is None or kind in (bool, int, float, str):
        return value
    if kind in (list, tuple):
        return {"t": kind.__name__, "v": [encode(item, depth + 1) for item in value]}
    if kind is dict:
        return {"t": "dict", "v": [[encode(k, depth + 1), encode(v, depth + 1)] for k, v in value.items()]}
    if kind is np.ndarray or isinstance(value, np.generic):
        array = np.asarray(value)
        if array.dtype.kind not in "biufc":
            raise TypeError(f"cannot pass an array of dtype {array.dtype} to the student's code")
        buffer = io.BytesIO()
        np.save(buffer, np.ascontiguousarray(array), allow_pickle=False)
        return {"t": "npscalar" if isinstance(value, np.generic) else "ndarray",
                "v": base64.b64encode(buffer.getvalue()).decode("ascii")}
    if kind is Remote:
        return {"t": "h", "id": value._id}
    if hasattr(value, "__array__"):  # a trusted tensor (Keras, TensorFlow): its values
        return encode(np.asarray(value), depth)
    raise TypeError(f"cannot pass a {kind.__name__} to the student's code")


def decode(value, channel: "Channel", depth: int = 0):
    """Kernel → trusted: rebuild plain data with exact built-in types; anything else is refused."""
    if depth > MAX_DEPTH:
        raise ChannelError("response nested too deeply")
    kind = type(value)
    if value is None or kind in (bool, int, float, str):
        return value
    if kind is not dict or type(value.get("t")) is not str:
        raise ChannelError(f"unexpected {kind.__name__} in the response")
    tag = value["t"]
    if tag in ("list", "tuple"):
        items = value.get("v")
        if type(items) is not list:
            raise ChannelError("bad list")
        decoded = [decode(item, channel, depth + 1) for item in items]
        return decoded if tag == "list" else tuple(decoded)
    if tag == "dict":
        items = value.get("v")
        if type(items) is not list or not all(type(p) is list and len(p) == 2 for p in items):
            raise ChannelError("bad dict")
        result = {}
        for key, item in items:
            key = decode(key, channel, depth + 1)
            if type(key) not in (bool, int, float, str, tuple) and key is not None:
                raise ChannelError("unhashable dict key")
            result[key] = decode(item, channel, depth + 1)
        return result
    if tag in ("ndarray", "npscalar"):
        if type(value.get("v")) is not str:
            raise ChannelError("bad array")
        try:
            array = np.load(io.BytesIO(base64.b64decode(value["v"], validate=True)), allow_pickle=False)
        except Exception as error:
            raise ChannelError(f"bad array ({type(error).__name__})") from None
        if type(array) is not np.ndarray or array.dtype.kind not in "biufc":
            raise ChannelError("arrays must have a numeric or boolean dtype")
        return array[()] if tag == "npscalar" else array
    if tag == "h":
        if type(value.get("id")) is not int:
            raise ChannelError("bad handle")
        return Remote(channel, value["id"], str(value.get("type", "object"))[:80], bool(value.get("callable")))
    raise ChannelError(f"unknown tag {tag[:40]!r}")


def _builtin_exception(names) -> type[Exception]:
    for name in names if type(names) is list else []:
        candidate = getattr(builtins, name, None) if type(name) is str else None
        if isinstance(candidate, type) and issubclass(candidate, Exception) and candidate is not Exception:
            return candidate
    return RemoteError


class Channel:
    """Requests to the student's kernel through ``transport`` (JSON text in, JSON text out)."""

    def __init__(self, transport: Callable[[str], str]):
        self.transport = transport

    def request(self, request: dict):
        text = self.transport(json.dumps(request))
        if type(text) is not str or len(text) > MAX_RESPONSE_CHARS:
            raise ChannelError("the student's side did not answer with a valid response")
        try:
            response = json.loads(text)
        except (ValueError, RecursionError):
            raise ChannelError("the student's side did not answer with valid JSON") from None
        if type(response) is not dict:
            raise ChannelError("the student's side did not answer with a valid response")
        if "raise" in response:
            message = response.get("message")
            raise _builtin_exception(response["raise"])(message if type(message) is str else "")
        if response.get("missing") is True:
            raise NameError(request.get("name", ""))
        if "value" not in response:
            raise ChannelError("the student's side did not answer with a value")
        try:
            return decode(response["value"], self)
        except RecursionError:
            raise ChannelError("response nested too deeply") from None

    def lookup(self, name: str):
        return self.request({"op": "lookup", "name": name})


def hidden_lines(source: str) -> set[int]:
    """1-based numbers of the lines inside BEGIN/END HIDDEN TESTS (markers included)."""
    hidden, inside = set(), False
    for number, line in enumerate(source.splitlines(), start=1):
        if line.strip().startswith(BEGIN_HIDDEN):
            inside = True
        if inside:
            hidden.add(number)
        if line.strip().startswith(END_HIDDEN):
            inside = False
    return hidden


def failure_output(ename: str, evalue: str, lineno: int | None, source: str, hidden: bool) -> dict:
    """The error output a student sees: no hidden line, expected value or seed when ``hidden``."""
    if hidden:
        return {"output_type": "error", "ename": "HiddenTestFailed", "evalue": HIDDEN_MESSAGE,
                "traceback": [f"HiddenTestFailed: {HIDDEN_MESSAGE}"]}
    lines = source.splitlines()
    where = []
    if lineno and 1 <= lineno <= len(lines):
        where = [f"  line {lineno}: {lines[lineno - 1].strip()}"]
    evalue = evalue[:2000]
    return {"output_type": "error", "ename": ename, "evalue": evalue,
            "traceback": [f"{ename}: {evalue}", *where]}


def _python(source: str) -> str:
    """IPython syntax (``%pip`` in the Colab branch) as plain Python."""
    from IPython.core.inputtransformer2 import TransformerManager

    return TransformerManager().transform_cell(source)


def _free_names(tree: ast.AST) -> set[str]:
    names = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)}
    for node in ast.walk(tree):  # require_answer("name") needs the name itself
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "require_answer"):
            names |= {a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)}
    return names


def _no_ipython():
    raise RuntimeError("IPython is not available where the tests run")


class TrustedTests:
    """Runs the instructor's cells in this process; the student's names come through ``channel``."""

    def __init__(self, channel: Channel):
        self.channel = channel
        self.namespace: dict = {"__name__": "__main__", "__builtins__": builtins, "get_ipython": _no_ipython}
        self.instructor_names: set[str] = set()
        self.remote_names: set[str] = set()
        self.setup_error: str | None = None

    def run_setup(self, source: str) -> None:
        """An instructor set-up cell (imports, helpers, example data), run here too."""
        try:
            exec(compile(_python(source), "<instructor set-up>", "exec"), self.namespace)
        except BaseException as error:  # the instructor's own code; reported in every test
            if isinstance(error, KeyboardInterrupt):
                raise
            self.setup_error = f"{type(error).__name__}: {error}"
        self.instructor_names = {k for k in self.namespace if not k.startswith("__")}

    def _bind_student_names(self, tree: ast.AST) -> None:
        for name in self.remote_names:
            self.namespace.pop(name, None)
        self.remote_names = set()
        for name in sorted(_free_names(tree)):
            if name in self.instructor_names or hasattr(builtins, name):
                continue
            try:
                value = self.channel.lookup(name)
            except NameError:
                continue
            self.namespace[name] = value
            self.remote_names.add(name)

    def run_test(self, source: str, label: str) -> list[dict]:
        """Run one test cell; its outputs as nbformat dicts (stream and, on failure, one error)."""
        hidden = hidden_lines(source)
        filename = f"<test {label}>"
        captured = io.StringIO()
        outputs: list[dict] = []
        try:
            if self.setup_error:
                raise RuntimeError(f"the instructor's set-up failed: {self.setup_error}")
            tree = ast.parse(_python(source), filename)
            with contextlib.redirect_stdout(captured), contextlib.redirect_stderr(captured):
                self._bind_student_names(tree)
                exec(compile(tree, filename, "exec"), self.namespace)
        except KeyboardInterrupt:
            raise
        except BaseException as error:  # a failed test, whatever it raised (SystemExit too)
            frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename == filename]
            in_hidden = any(f.lineno in hidden for f in frames) or (not frames and bool(hidden))
            lineno = frames[-1].lineno if frames else None
            try:
                evalue = str(error)
            except Exception:
                evalue = ""
            text = captured.getvalue()
            if text and not in_hidden:
                outputs.append({"output_type": "stream", "name": "stdout", "text": text[-200_000:]})
            outputs.append(failure_output(type(error).__name__, evalue, lineno, source, in_hidden))
            return outputs
        text = captured.getvalue()
        if text:
            outputs.append({"output_type": "stream", "name": "stdout", "text": text[-200_000:]})
        return outputs
