"""labsupport: the helper package of the Unit 17 course book.

Modules (import the one you need; importing the package itself is cheap and
does not import Keras or TensorFlow):

- ``labsupport.device``     one call per lesson: seeds, quiet TensorFlow, CPU/GPU report
- ``labsupport.reactor``    first-principles fed-batch reactor simulator
- ``labsupport.data``       the lessons' data sets, made with the simulator
- ``labsupport.attention``  softmax with temperature, scaled dot-product attention (NumPy or backend)
- ``labsupport.scoring``    the five attention score functions, their cost, softmax saturation
- ``labsupport.positional`` sinusoidal positional encoding
- ``labsupport.layers``     Keras 3 attention layers (Bahdanau, Luong, pooling, weighted merge)
- ``labsupport.models``     RNN classifiers, sequence labelers, bidirectional encoders, Seq2Seq
- ``labsupport.decoding``   greedy, beam search and sampling over a step function
- ``labsupport.recipes``    an exactly known recipe (operation-sequence) language for decoding
- ``labsupport.tasks``      the rollback alignment task and accuracy by length band
- ``labsupport.bottleneck`` fixed-vector vs attention reconstruction of batch records
- ``labsupport.comparison`` train several models over seeds and summarise them side by side
- ``labsupport.online``     on-line (prefix-only) predictions of per-step models
- ``labsupport.metrics``    precision/recall and thresholds for per-step event detection
- ``labsupport.plots``      CJK font set-up, trajectory and heatmap figures
- ``labsupport.diagrams``   drawn architecture figures and flowcharts
- ``labsupport.widgets``    the chapters' ipywidgets explorers (one module each)
- ``labsupport.checks``     shared argument checks (clear ValueErrors)
"""
import os as _os

# TensorFlow prints its start-up lines (oneDNN, CUDA stubs, absl) from C++ when
# it is first imported. Setting the level here, before any Keras import, keeps
# them off the book's pages; a user who set the variable keeps their choice.
_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
_os.environ.setdefault("KERAS_BACKEND", "tensorflow")

__version__ = "0.1.0"
