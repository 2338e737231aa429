"""nbgrader's ``Execute`` step, made robust against what students hand in.

:class:`RobustExecute` replaces :class:`nbgrader.preprocessors.Execute` in
``nbgrader autograde``. It keeps nbgrader's behaviour (per-cell timeout,
interrupt on timeout, errors recorded as outputs, the run goes on) and adds:

- **a kernel that stops answering or dies** (a loop that swallows
  ``KeyboardInterrupt``, ``os.kill`` of itself, a crash, the CPU limit): the
  cell gets an error output that says what happened, a fresh kernel is
  started, the cells that ran without error before are replayed silently
  to restore the student's definitions, and grading continues with the next
  cell. Only the parts that depend on the failed cell lose points. After
  ``max_kernel_restarts`` restarts the remaining cells are marked as not run.
- **output floods**: each cell keeps at most ``max_output_bytes`` of output,
  and the whole notebook at most ``max_notebook_output_bytes`` (so 5,000 cells
  of 200 kB cannot add up to a gigabyte); the rest is dropped as it arrives (so the grader's memory stays bounded,
  not only the feedback) and a note says so.
- **warnings in test cells**: nbgrader gives a test cell 0 points when it
  writes anything to stderr; library warnings (Keras, NumPy) are not a wrong
  answer, so stderr in test cells is kept as stdout. Errors still count.
- **tests out of the student's reach** (``trusted_tests``): the test cells
  are not run in the kernel at all; after the last cell they run in this
  process through :mod:`unit17_grading.channel`, which fetches the student's
  answers from the kernel as plain data.
- **no hidden test in the feedback**: a test cell that fails inside its
  hidden tests keeps only "hidden test failed" (no traceback, no expected
  values, no seed); a failure in its visible part keeps the error and the line.
"""
from __future__ import annotations

import ast
import json
import re
import time
from queue import Empty

from nbclient.exceptions import CellTimeoutError, DeadKernelError
import nbformat
from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import Execute
from nbgrader import utils
from jupyter_core.utils import run_sync
from traitlets import Bool, Integer

from unit17_grading import channel as trusted

NOTEBOOK_TRUNCATION_NOTE = "\n…… 整份筆記本的輸出已超過 {limit} 位元組，其餘已截斷（notebook output budget used up）……\n"
TRUNCATION_NOTE = "\n…… 輸出超過 {limit} 位元組，其餘已截斷（output truncated）……\n"


def _error_output(ename: str, evalue: str) -> NotebookNode:
    return NotebookNode(output_type="error", ename=ename, evalue=evalue,
                        traceback=[f"{ename}: {evalue}"])


def _output_size(msg: dict) -> int:
    content = msg.get("content", {})
    if "text" in content:
        return len(str(content["text"]).encode("utf-8", "replace"))
    data = content.get("data", {})
    try:
        return len(json.dumps(data, ensure_ascii=False).encode("utf-8", "replace"))
    except (TypeError, ValueError):
        return 0


class RobustExecute(Execute):
    """nbgrader ``Execute`` that survives dead or unresponsive kernels and output floods."""

    max_output_bytes = Integer(
        200_000, help="Output kept per cell; the rest is dropped with a note.").tag(config=True)
    max_notebook_output_bytes = Integer(
        5_000_000, help="Output kept for the whole notebook, all cells together; the rest is dropped "
                        "with a note.").tag(config=True)
    max_kernel_restarts = Integer(
        3, help="Kernel restarts per notebook before the remaining cells are skipped.").tag(config=True)
    trusted_tests = Bool(
        False, help="Run the test cells in this process, out of the student's reach "
                    "(unit17_grading.channel).").tag(config=True)

    def preprocess(self, nb, resources=None, km=None):
        self._replayable: list[str] = []
        self._output_bytes: dict[int, int] = {}
        self._truncated: set[int] = set()
        self._notebook_output_bytes = 0
        self._restarts = 0
        self._abandoned: str | None = None
        self.shutdown_kernel = "immediate"
        self._deferred: list[int] = []
        self._student_side: list[str] = []
        self._tests: trusted.TrustedTests | None = None
        self._deadline = 0.0
        self._last_index = len(nb.cells) - 1
        return super().preprocess(nb, resources, km)

    # -- per cell ---------------------------------------------------------
    def preprocess_cell(self, cell, resources, index):
        cell, resources = self._preprocess_cell(cell, resources, index)
        if self.trusted_tests and index == self._last_index:
            self._run_deferred_tests()
        return cell, resources

    def _preprocess_cell(self, cell, resources, index):
        self._check_assign_resources(resources)
        if cell.cell_type != "code" or not cell.source.strip():
            return cell, self.resources
        is_test = utils.is_grade(cell) and not utils.is_solution(cell)
        if self.trusted_tests and is_test:
            cell.outputs = []
            cell.execution_count = None
            self._deferred.append(index)
            return cell, self.resources
        student_side = STUDENT_SIDE_TAG in cell.metadata.get("tags", [])
        if self.trusted_tests and student_side and utils.is_locked(cell):
            self._student_side.append(cell.source)
        elif self.trusted_tests and utils.is_locked(cell) and not utils.is_solution(cell):
            if self._tests is None:
                self._tests = trusted.TrustedTests(trusted.Channel(self._transport))
            self._tests.run_setup(cell.source)
        if self._abandoned:
            cell.outputs = [_error_output("CellNotRun", self._abandoned)]
            return cell, self.resources
        try:
            cell = self.execute_cell(cell, index, store_history=True)
        except DeadKernelError:
            cell.outputs = list(cell.get("outputs", [])) + [_error_output(
                "DeadKernelError",
                "核心在執行這個儲存格時結束（例如程式結束了自己的行程或超過資源上限）；"
                "已重新啟動核心並重跑先前成功的儲存格 (kernel died; restarted)")]
            self._recover()
        except CellTimeoutError:
            cell.outputs = list(cell.get("outputs", [])) + [_error_output(
                "CellTimeoutError",
                f"超過每格 {self.timeout} 秒的時間限制且中斷無效；已重新啟動核心並重跑先前成功的儲存格 "
                "(timeout, kernel did not respond to the interrupt; restarted)")]
            self._recover()
        else:
            if not any(out.output_type == "error" for out in cell.outputs):
                self._replayable.append(cell.source)
        if is_test:
            for out in cell.outputs:
                if out.output_type == "stream" and out.name == "stderr":
                    out.name = "stdout"
            _hide_hidden_failures(cell)
        return cell, self.resources

    # -- test cells in this process -----------------------------------------
    def _run_deferred_tests(self) -> None:
        cells = self.nb.cells
        if self._tests is None:
            self._tests = trusted.TrustedTests(trusted.Channel(self._transport))
        if not self._abandoned:
            self._install_server()
        for index in self._deferred:
            cell = cells[index]
            label = cell.metadata.get("nbgrader", {}).get("grade_id", f"cell {index}")
            if self._abandoned:
                cell.outputs = [_error_output("CellNotRun", self._abandoned)]
                continue
            self._deadline = time.monotonic() + (self.timeout or 120)
            outputs = self._tests.run_test(cell.source, label)
            cell.outputs = [nbformat.from_dict(o) for o in outputs]

    def _install_server(self) -> None:
        """The request handler, and the instructor's student-side helpers again (after the student's cells)."""
        assert self.kc is not None
        for source in [trusted.KERNEL_SERVER, *self._student_side]:
            msg_id = self.kc.execute(source, silent=True, store_history=False)
            self._deadline = time.monotonic() + (self.timeout or 120)
            try:
                self._reply(msg_id)
            except (trusted.StudentTimeout, trusted.ChannelError):
                return

    def _transport(self, request: str) -> str:
        """One request to the student's kernel; its answer as text (data only, decoded by the caller)."""
        if self._abandoned or self.kc is None:
            raise trusted.ChannelError(self._abandoned or "no kernel")
        msg_id = self.kc.execute("", silent=True, store_history=False,
                                 user_expressions={"r": f"_u17_rpc({request!r})"})
        reply = self._reply(msg_id)
        result = (reply.get("content", {}).get("user_expressions") or {}).get("r") or {}
        if not isinstance(result, dict) or result.get("status") != "ok":
            raise trusted.ChannelError("the student's kernel could not answer the test's request")
        text = (result.get("data") or {}).get("text/plain")
        if not isinstance(text, str) or len(text) > 2 * trusted.MAX_RESPONSE_CHARS:
            raise trusted.ChannelError("the student's kernel answered something that is not a response")
        try:
            value = ast.literal_eval(text)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            raise trusted.ChannelError("the student's kernel answered something that is not a response") from None
        return value if isinstance(value, str) else ""

    def _reply(self, msg_id: str) -> dict:
        """The shell reply to ``msg_id``, within the test cell's time; the kernel's output is discarded."""
        interrupted_at = None
        while True:
            self._drain_iopub()
            try:
                msg = run_sync(self.kc.shell_channel.get_msg)(timeout=0.2)
            except Empty:
                if not run_sync(self.kc.is_alive)():
                    self._recover_after_test("DeadKernelError")
                    raise trusted.ChannelError("the student's kernel died during the test")
                now = time.monotonic()
                if interrupted_at is None and now > self._deadline:
                    interrupted_at = now
                    run_sync(self.km.interrupt_kernel)()
                elif interrupted_at is not None and now > interrupted_at + 5:
                    self._recover_after_test("CellTimeoutError")
                    raise trusted.StudentTimeout(
                        f"the student's code did not answer within {self.timeout} s; kernel restarted")
                continue
            if msg.get("parent_header", {}).get("msg_id") == msg_id:
                if interrupted_at is not None:
                    raise trusted.StudentTimeout(f"the student's code did not answer within {self.timeout} s")
                return msg

    def _drain_iopub(self) -> None:
        while True:
            try:
                run_sync(self.kc.iopub_channel.get_msg)(timeout=0)
            except Empty:
                return

    def _recover_after_test(self, why: str) -> None:
        self._recover()
        if not self._abandoned:
            self._install_server()

    # -- bounded output ---------------------------------------------------
    def output(self, outs, msg, display_id, cell_index):
        if msg.get("msg_type") in ("stream", "display_data", "execute_result"):
            size = _output_size(msg)
            used = self._output_bytes.get(cell_index, 0) + size
            self._output_bytes[cell_index] = used
            over_notebook = self._notebook_output_bytes + size > self.max_notebook_output_bytes
            if used > self.max_output_bytes or over_notebook:
                if cell_index not in self._truncated:
                    self._truncated.add(cell_index)
                    note = (NOTEBOOK_TRUNCATION_NOTE.format(limit=self.max_notebook_output_bytes)
                            if over_notebook else TRUNCATION_NOTE.format(limit=self.max_output_bytes))
                    # A display_data output: not merged into the stream text, so nbgrader's
                    # LimitOutput (a line limit on streams) cannot cut the note away.
                    outs.append(NotebookNode(output_type="display_data", data={"text/plain": note}, metadata={}))
                return None
            self._notebook_output_bytes += size  # only what is kept counts against the budget
        return super().output(outs, msg, display_id, cell_index)

    # -- recovery ---------------------------------------------------------
    def _recover(self) -> None:
        self._restarts += 1
        if self._restarts > self.max_kernel_restarts:
            self._abandoned = (f"核心已重新啟動 {self.max_kernel_restarts} 次，其餘儲存格不再執行 "
                               "(too many kernel restarts; cell not run)")
            return
        try:
            self._cleanup_kernel()
        except Exception:  # the old kernel may be beyond a clean shutdown
            self.km = None
            self.kc = None
        self.km = self.create_kernel_manager()
        path = self.resources.get("metadata", {}).get("path") or None
        self.start_new_kernel(cwd=path)
        self.start_new_kernel_client()
        for source in self._replayable:
            if not self._replay(source):
                self._abandoned = ("重跑先前的儲存格時失敗，其餘儲存格不再執行 "
                                   "(could not restore the kernel state; cell not run)")
                return

    def _replay(self, source: str) -> bool:
        assert self.kc is not None
        msg_id = self.kc.execute(source, store_history=False, silent=True, stop_on_error=True)
        try:
            reply = self.wait_for_reply(msg_id)
        except (DeadKernelError, CellTimeoutError, Empty):
            return False
        return bool(reply) and reply["content"].get("status") == "ok"


# Instructor cells with this tag define helpers that must run next to the student's objects
# (building a Keras model around the student's layer): with trusted_tests they are not run in
# the grader; they are run again in the kernel after the student's cells, and the tests call
# them through the channel like any student function (their results are data).
STUDENT_SIDE_TAG = "grading-student-side"
OWN_ERRORS = {"CellTimeoutError", "DeadKernelError", "CellNotRun"}
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _hide_hidden_failures(cell) -> None:
    """A test cell run in the kernel: keep no trace of its hidden tests in an error output."""
    hidden = trusted.hidden_lines(cell.source)
    if not hidden:
        return
    outputs = []
    for out in cell.outputs:
        if out.output_type != "error":
            outputs.append(out)
            continue
        lines = []
        if out.get("ename") in OWN_ERRORS:  # the grader's own notes (timeout, dead kernel)
            outputs.append(out)
            continue
        for entry in out.get("traceback", []):
            header = _ANSI.sub("", str(entry)).lstrip()
            match = re.match(r"Cell In\[(\d+)\], line (\d+)", header)
            if match and (cell.execution_count is None or int(match.group(1)) == cell.execution_count):
                lines.append(int(match.group(2)))
        in_hidden = not lines or any(line in hidden for line in lines)
        outputs.append(nbformat.from_dict(trusted.failure_output(
            str(out.get("ename", "Error")), _ANSI.sub("", str(out.get("evalue", ""))),
            lines[-1] if lines else None, cell.source, in_hidden)))
    cell.outputs = outputs
