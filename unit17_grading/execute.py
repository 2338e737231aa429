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
  the rest is dropped as it arrives (so the grader's memory stays bounded,
  not only the feedback) and a note says so.
- **warnings in test cells**: nbgrader gives a test cell 0 points when it
  writes anything to stderr; library warnings (Keras, NumPy) are not a wrong
  answer, so stderr in test cells is kept as stdout. Errors still count.
"""
from __future__ import annotations

import json
from queue import Empty

from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import Execute
from nbgrader import utils
from traitlets import Integer

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
    max_kernel_restarts = Integer(
        3, help="Kernel restarts per notebook before the remaining cells are skipped.").tag(config=True)

    def preprocess(self, nb, resources=None, km=None):
        self._replayable: list[str] = []
        self._output_bytes: dict[int, int] = {}
        self._truncated: set[int] = set()
        self._restarts = 0
        self._abandoned: str | None = None
        self.shutdown_kernel = "immediate"
        return super().preprocess(nb, resources, km)

    # -- per cell ---------------------------------------------------------
    def preprocess_cell(self, cell, resources, index):
        self._check_assign_resources(resources)
        if cell.cell_type != "code" or not cell.source.strip():
            return cell, self.resources
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
        if utils.is_grade(cell) and not utils.is_solution(cell):
            for out in cell.outputs:
                if out.output_type == "stream" and out.name == "stderr":
                    out.name = "stdout"
        return cell, self.resources

    # -- bounded output ---------------------------------------------------
    def output(self, outs, msg, display_id, cell_index):
        if msg.get("msg_type") in ("stream", "display_data", "execute_result"):
            used = self._output_bytes.get(cell_index, 0) + _output_size(msg)
            self._output_bytes[cell_index] = used
            if used > self.max_output_bytes:
                if cell_index not in self._truncated:
                    self._truncated.add(cell_index)
                    outs.append(NotebookNode(
                        output_type="stream", name="stdout",
                        text=TRUNCATION_NOTE.format(limit=self.max_output_bytes)))
                return None
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
