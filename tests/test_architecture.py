import matplotlib.pyplot as plt
import pytest

from labsupport import plots  # noqa: F401  (selects the CJK font first, as a chapter does)
from labsupport.architecture import draw_encoder_decoder, encoder_decoder_figure


@pytest.mark.parametrize("attention", [False, True])
def test_draws_one_box_per_step_and_the_right_contexts(attention):
    fig, ax = plt.subplots()
    centres = draw_encoder_decoder(ax, n_inputs=5, n_outputs=3, attention=attention)
    assert len(centres["inputs"]) == len(centres["encoder"]) == 5
    assert len(centres["decoder"]) == len(centres["outputs"]) == len(centres["decoder_inputs"]) == 3
    # one shared context without attention, one per decoder step with it
    assert len(centres["context"]) == (3 if attention else 1)
    # the decoder sits to the right of the encoder, outputs above the decoder cells
    assert min(x for x, _ in centres["decoder"]) > max(x for x, _ in centres["encoder"])
    assert all(y_out > y_dec for (_, y_out), (_, y_dec) in zip(centres["outputs"], centres["decoder"]))
    texts = [t.get_text() for t in ax.texts]
    assert "<start>" in texts and ax.get_title()
    fig.canvas.draw()  # a missing CJK glyph would raise (pytest turns the warning into an error)
    plt.close(fig)


def test_side_by_side_figure_renders():
    fig = encoder_decoder_figure()
    assert len(fig.axes) == 2 and fig._suptitle.get_text()
    fig.canvas.draw()
    plt.close(fig)


@pytest.mark.parametrize("kwargs", [dict(n_inputs=0), dict(n_outputs=9), dict(n_inputs=2.5), dict(n_outputs=True)])
def test_bad_sizes_raise(kwargs):
    fig, ax = plt.subplots()
    with pytest.raises(ValueError, match="between 1 and 8"):
        draw_encoder_decoder(ax, **kwargs)
    plt.close(fig)
