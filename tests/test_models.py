"""labsupport.models against Keras' own constructions, step-by-step references and small learnable tasks."""
import keras
import numpy as np
import pytest

from labsupport.decoding import beam_search, greedy_decode
from labsupport.layers import to_numpy
from labsupport.models import (
    Seq2Seq,
    TeacherForcingSchedule,
    attention_pooling_weights,
    bidirectional_encoder,
    exponential_decay,
    inverse_sigmoid_decay,
    linear_decay,
    rnn_classifier,
    sequence_labeler,
    shift_right,
    start_frame,
)


def run(model, inputs):
    """An eager call as NumPy (cheaper in tests than compiling a predict function)."""
    outputs = model(inputs)
    if isinstance(outputs, (list, tuple)):
        return [to_numpy(o) for o in outputs]
    return to_numpy(outputs)


def weights_equal(a, b):
    return len(a.weights) == len(b.weights) and all(
        np.array_equal(to_numpy(x), to_numpy(y)) for x, y in zip(a.weights, b.weights)
    )


@pytest.fixture(scope="module")
def sequences():
    return np.random.default_rng(0).normal(size=(3, 7, 4)).astype("float32")  # (batch, T, n_features)


# ------------------------------------------------------------ bidirectional RNNs
@pytest.mark.parametrize("merge_mode, width", [("concat", 10), ("sum", 5), ("mul", 5), ("ave", 5), ("weighted", 5), (None, 5)])
def test_merge_modes_give_the_documented_width_and_values(sequences, merge_mode, width):
    separate = bidirectional_encoder(4, "gru", 5, merge_mode=None, seed=3)
    merged = bidirectional_encoder(4, "gru", 5, merge_mode=merge_mode, seed=3)
    forward, backward = run(separate, sequences)
    output = run(merged, sequences)
    if merge_mode is None:
        assert [o.shape for o in output] == [(3, 7, 5), (3, 7, 5)]
        return
    assert output.shape == (3, 7, width)
    expected = {
        "concat": np.concatenate([forward, backward], axis=-1),
        "sum": forward + backward,
        "mul": forward * backward,
        "ave": (forward + backward) / 2,
        "weighted": 0.5 * forward + 0.5 * backward,  # α starts at 0.5
    }[merge_mode]
    np.testing.assert_allclose(output, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("cell", ["simple", "lstm", "gru"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_parameter_counts_equal_the_plain_keras_construction(cell, bidirectional):
    rnn = {"simple": keras.layers.SimpleRNN, "lstm": keras.layers.LSTM, "gru": keras.layers.GRU}[cell]

    def wrap(layer):
        return keras.layers.Bidirectional(layer) if bidirectional else layer

    plain = keras.Sequential(
        [keras.Input((None, 10)), wrap(rnn(64, return_sequences=True)), wrap(rnn(64)), keras.layers.Dense(3, activation="softmax")]
    )
    ours = rnn_classifier(10, 3, cell=cell, units=64, layers=2, bidirectional=bidirectional, seed=0)
    assert ours.count_params() == plain.count_params()
    labeler = sequence_labeler(10, 3, cell=cell, units=64, layers=2, bidirectional=bidirectional, seed=0)
    plain_labeler = keras.Sequential(
        [keras.Input((None, 10)), wrap(rnn(64, return_sequences=True)), wrap(rnn(64, return_sequences=True)), keras.layers.Dense(3, activation="softmax")]
    )
    assert labeler.count_params() == plain_labeler.count_params()


def test_known_recurrent_parameter_counts_and_weighted_merge_adds_one():
    # d_x = 10, d_h = 64: LSTM 4·(64·(10+64)+64), GRU (reset_after) 3·(64·(10+64)+2·64), doubled when bidirectional.
    expected = {("lstm", False): 19_200, ("lstm", True): 38_400, ("gru", False): 14_592, ("gru", True): 29_184}
    for (cell, bidirectional), count in expected.items():
        model = rnn_classifier(10, 2, cell=cell, units=64, bidirectional=bidirectional, seed=0)
        assert model.get_layer("rnn_1").count_params() == count
    concat = rnn_classifier(10, 2, units=8, bidirectional=True, merge_mode="ave", seed=0)
    weighted = rnn_classifier(10, 2, units=8, bidirectional=True, merge_mode="weighted", seed=0)
    assert weighted.count_params() == concat.count_params() + 1


def test_forward_and_backward_outputs_are_the_two_rnns(sequences):
    model = bidirectional_encoder(4, "lstm", 6, merge_mode=None, seed=1)
    bidirectional = model.get_layer("bidirectional")
    forward, backward = run(model, sequences)
    # Each direction equals a plain LSTM with its weights; the backward one reads the reversed sequence.
    plain = keras.layers.LSTM(6, return_sequences=True)
    plain.build((None, None, 4))
    plain.set_weights(bidirectional.forward_layer.get_weights())
    np.testing.assert_allclose(forward, run(plain, sequences), rtol=1e-5, atol=1e-6)
    plain.set_weights(bidirectional.backward_layer.get_weights())
    np.testing.assert_allclose(backward, run(plain, sequences[:, ::-1])[:, ::-1], rtol=1e-5, atol=1e-6)
    # The two directions start from different weights (own seeds) ...
    assert not np.allclose(bidirectional.forward_layer.get_weights()[0], bidirectional.backward_layer.get_weights()[0])
    # ... and with equal weights, reversing the input swaps their roles.
    bidirectional.backward_layer.set_weights(bidirectional.forward_layer.get_weights())
    forward, backward = run(model, sequences)
    forward_reversed, backward_reversed = run(model, np.ascontiguousarray(sequences[:, ::-1]))
    np.testing.assert_allclose(forward_reversed, backward[:, ::-1], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(backward_reversed, forward[:, ::-1], rtol=1e-5, atol=1e-6)


def test_last_state_outputs_without_sequences(sequences):
    model = bidirectional_encoder(4, "gru", 3, merge_mode=None, return_sequences=False, seed=2)
    full = bidirectional_encoder(4, "gru", 3, merge_mode=None, seed=2)
    forward_last, backward_last = run(model, sequences)
    forward, backward = run(full, sequences)
    np.testing.assert_allclose(forward_last, forward[:, -1], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(backward_last, backward[:, 0], rtol=1e-5, atol=1e-6)


# ------------------------------------------------------- masking, pooling, labels
def test_masked_padding_changes_nothing(sequences):
    padded = sequences.copy()
    padded[0, 4:] = 0.0  # example 0 is 4 steps long
    for merge_mode in ("concat", "weighted"):
        model = rnn_classifier(4, 3, units=5, layers=2, bidirectional=True, merge_mode=merge_mode, masking=True, seed=4)
        np.testing.assert_allclose(run(model, padded[:1]), run(model, sequences[:1, :4]), rtol=1e-5, atol=1e-6)
    labeler = sequence_labeler(4, 3, units=5, bidirectional=True, masking=True, seed=4)
    np.testing.assert_allclose(run(labeler, padded[:1])[:, :4], run(labeler, sequences[:1, :4]), rtol=1e-5, atol=1e-6)


def test_sequence_labeler_loss_ignores_padded_steps(sequences):
    padded = sequences.copy()
    padded[0, 4:] = 0.0
    labeler = sequence_labeler(4, 3, units=5, bidirectional=True, seed=5)
    labeler.compile(loss="sparse_categorical_crossentropy")
    labels = np.random.default_rng(1).integers(0, 3, size=(3, 7))
    probabilities = run(labeler, padded)
    step_loss = -np.log(np.take_along_axis(probabilities, labels[..., None], axis=-1))[..., 0]
    valid = np.ones((3, 7), dtype=bool)
    valid[0, 4:] = False
    loss = labeler.evaluate(padded, labels, verbose=0)
    assert loss == pytest.approx(step_loss[valid].mean(), rel=1e-5)
    other_labels = labels.copy()
    other_labels[0, 4:] = (labels[0, 4:] + 1) % 3
    assert labeler.evaluate(padded, other_labels, verbose=0) == pytest.approx(loss, rel=1e-6)


def test_attention_pooling_classifier_weights(sequences):
    padded = sequences.copy()
    padded[1, 5:] = 0.0
    model = rnn_classifier(4, 2, cell="gru", units=6, bidirectional=True, masking=True, attention_pooling=True, seed=6)
    weights = attention_pooling_weights(model, padded)
    assert weights.shape == (3, 7)
    np.testing.assert_allclose(weights.sum(axis=-1), 1.0, rtol=1e-5)
    assert np.all(weights[1, 5:] == 0.0) and np.all(weights[1, :5] > 0)
    with pytest.raises(ValueError, match="attention_pooling"):
        attention_pooling_weights(rnn_classifier(4, 2, units=3, seed=0), padded)


def test_same_seed_same_classifier_and_different_seed_differs():
    assert weights_equal(rnn_classifier(4, 3, units=5, bidirectional=True, seed=7), rnn_classifier(4, 3, units=5, bidirectional=True, seed=7))
    assert not weights_equal(rnn_classifier(4, 3, units=5, seed=7), rnn_classifier(4, 3, units=5, seed=8))


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(cell="transformer"), "cell"),
        (dict(merge_mode="max", bidirectional=True), "merge_mode"),
        (dict(merge_mode=None, bidirectional=True), "merge_mode=None"),
        (dict(n_classes=1), "n_classes"),
        (dict(units=0), "units"),
        (dict(layers=0), "layers"),
        (dict(dropout=1.0), "dropout"),
        (dict(n_features=-2), "n_features"),
        (dict(timesteps=0), "timesteps"),
        (dict(seed=-1), "seed"),
    ],
)
def test_builders_reject_bad_arguments(kwargs, match):
    arguments = dict(n_features=4, n_classes=3)
    arguments.update(kwargs)
    for builder in (rnn_classifier, sequence_labeler):
        with pytest.raises(ValueError, match=match):
            builder(**arguments)


def test_bidirectional_encoder_rejects_bad_arguments():
    with pytest.raises(ValueError, match="merge_mode"):
        bidirectional_encoder(4, merge_mode="first")
    with pytest.raises(ValueError, match="cell"):
        bidirectional_encoder(4, cell="rnn")


# --------------------------------------------------------------------- Seq2Seq
VOCAB, LENGTH = 10, 5
START_TOKEN = 1


def reversal_data(n, seed):
    """Token sequences (ids 2..9) and their reversal: output step t aligns with input step LENGTH-1-t."""
    source = np.random.default_rng(seed).integers(2, VOCAB, size=(n, LENGTH))
    target = source[:, ::-1].copy()
    return source, target


def step_by_step(model, encoder_inputs, decoder_inputs, steps, feed_back):
    """Reference loop over decoder steps with the inference pieces (encoder model + one-step decoder)."""
    encoded = run(model.encoder_model(), encoder_inputs)
    encoder_outputs, states = encoded[0], encoded[1 : 1 + len(model.decoder_cell.state_size)]
    extra = [encoded[-1]] if model.source_tokens else []
    step_model = model.decoder_step_model()
    previous = decoder_inputs[:, 0]
    outputs, attention = [], []
    for t in range(steps):
        results = run(step_model, [previous, *states, encoder_outputs, *extra])
        output, states, weights = results[0], results[1:-1], results[-1]
        outputs.append(output)
        attention.append(weights)
        if t + 1 < steps:
            if feed_back:
                previous = output.argmax(-1).astype("int32") if model.target_tokens else output
            else:
                previous = decoder_inputs[:, t + 1]
    return np.stack(outputs, axis=1), np.stack(attention, axis=1)


SEQ2SEQ_CASES = [
    dict(n_features=3, n_outputs=2, cell="lstm", attention="bahdanau"),
    dict(n_features=3, n_outputs=2, cell="gru", attention=None),
    dict(source_vocab_size=VOCAB, target_vocab_size=VOCAB, cell="lstm", attention="luong", luong_score="concat"),
    dict(source_vocab_size=VOCAB, target_vocab_size=VOCAB, cell="gru", attention="luong", luong_score="dot"),
]


def seq2seq_inputs(model, seed=0):
    rng = np.random.default_rng(seed)
    if model.source_tokens:
        encoder_inputs = rng.integers(2, VOCAB, size=(2, 6)).astype("int32")
        encoder_inputs[1, 4:] = 0  # padding
    else:
        encoder_inputs = rng.normal(size=(2, 6, model.n_features)).astype("float32")
    if model.target_tokens:
        targets = rng.integers(2, VOCAB, size=(2, 4))
        decoder_inputs = shift_right(targets, START_TOKEN).astype("int32")
    else:
        targets = rng.normal(size=(2, 4, model.n_outputs)).astype("float32")
        decoder_inputs = shift_right(targets, start_frame(encoder_inputs, [0, 1]))
    return encoder_inputs, decoder_inputs


@pytest.mark.parametrize("case", SEQ2SEQ_CASES, ids=lambda c: f"{c['cell']}-{c['attention']}-{'tokens' if 'target_vocab_size' in c else 'values'}")
def test_seq2seq_compiled_loop_equals_a_step_by_step_loop(case):
    model = Seq2Seq(units=6, embedding_dim=4, seed=11, **case)
    encoder_inputs, decoder_inputs = seq2seq_inputs(model)
    # Teacher forcing: the compiled scan equals feeding the true previous targets step by step.
    teacher_outputs = run(model, [encoder_inputs, decoder_inputs])
    expected_outputs, expected_attention = step_by_step(model, encoder_inputs, decoder_inputs, 4, feed_back=False)
    np.testing.assert_allclose(teacher_outputs, expected_outputs, rtol=1e-4, atol=1e-5)
    if model.attention:
        np.testing.assert_allclose(model.attention_weights(encoder_inputs, decoder_inputs), expected_attention, rtol=1e-4, atol=1e-6)
    if model.source_tokens:
        assert np.all(expected_attention[1, :, 4:] == 0.0)  # padding gets no attention
    # Free running: generate() equals feeding back the model's own predictions.
    expected_free, expected_free_attention = step_by_step(model, encoder_inputs, decoder_inputs, 4, feed_back=True)
    start = START_TOKEN if model.target_tokens else decoder_inputs[:, 0]
    generated, attention = model.generate(encoder_inputs, 4, start=start)
    if model.target_tokens:
        np.testing.assert_array_equal(generated, expected_free.argmax(-1))
    else:
        np.testing.assert_allclose(generated, expected_free, rtol=1e-4, atol=1e-5)
    if model.attention:
        np.testing.assert_allclose(attention, expected_free_attention, rtol=1e-4, atol=1e-6)
    else:
        assert attention is None
    # Scheduled sampling at its two ends: in training mode, ratio 1 is teacher forcing and ratio 0 free running.
    model.teacher_forcing_ratio = 1.0
    np.testing.assert_allclose(to_numpy(model([encoder_inputs, decoder_inputs], training=True)), teacher_outputs, rtol=1e-5, atol=1e-6)
    model.teacher_forcing_ratio = 0.0
    np.testing.assert_allclose(to_numpy(model([encoder_inputs, decoder_inputs], training=True)), expected_free, rtol=1e-4, atol=1e-5)


def test_seq2seq_learns_reversal_with_attention_concentrated_on_the_aligned_positions():
    """Bahdanau attention, 8 epochs on 1000 sequences: free-running accuracy >= 0.95 (measured ~1.0)."""
    source, target = reversal_data(1000, seed=1)
    model = Seq2Seq(source_vocab_size=VOCAB, target_vocab_size=VOCAB, units=32, attention="bahdanau", seed=1)
    model.compile(
        optimizer=keras.optimizers.Adam(0.01),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    model.fit([source, shift_right(target, START_TOKEN)], target, epochs=8, batch_size=50, shuffle=False, verbose=0)
    test_source, test_target = reversal_data(300, seed=2)
    generated, attention = model.generate(test_source, LENGTH, start=START_TOKEN)
    accuracy = (generated == test_target).mean()
    assert accuracy >= 0.95, accuracy
    # Output step t copies input step LENGTH-1-t: that is where the attention should sit.
    aligned = LENGTH - 1 - np.arange(LENGTH)
    argmax_on_aligned = (attention.argmax(-1) == aligned).mean()
    weight_on_aligned = attention[:, np.arange(LENGTH), aligned].mean()
    assert argmax_on_aligned >= 0.85, argmax_on_aligned
    assert weight_on_aligned >= 0.5, weight_on_aligned
    np.testing.assert_allclose(attention.sum(-1), 1.0, rtol=1e-5)


def test_seq2seq_decoding_fn_matches_the_model():
    source, target = reversal_data(2, seed=3)
    model = Seq2Seq(source_vocab_size=VOCAB, target_vocab_size=VOCAB, units=8, attention="bahdanau", seed=12)
    step_fn, state = model.decoding_fn(source[0])
    assert state["encoder_outputs"].shape == (1, LENGTH, 8) and state["source_mask"].shape == (1, LENGTH)
    # Log-probs of each step of a given sequence equal the log-softmax of the teacher-forced logits.
    decoder_inputs = shift_right(target[:1], START_TOKEN)
    logits = run(model, [source[:1].astype("int32"), decoder_inputs.astype("int32")])[0].astype("float64")
    expected = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    for t in range(LENGTH):
        log_probs, state = step_fn(decoder_inputs[0, t : t + 1], state)
        np.testing.assert_allclose(log_probs[0], expected[t], rtol=1e-4, atol=1e-5)
    # Greedy decoding and beam width 1 through the step function equal generate().
    generated, _ = model.generate(source[:1], LENGTH, start=START_TOKEN)
    step_fn, state = model.decoding_fn(source[0])
    tokens, _ = greedy_decode(step_fn, state, START_TOKEN, None, LENGTH)
    np.testing.assert_array_equal(tokens, generated[0])
    best = beam_search(step_fn, state, START_TOKEN, None, beam_width=1, max_len=LENGTH)[0]
    np.testing.assert_array_equal(best.tokens, generated[0])


def test_teacher_forcing_schedule_reaches_the_compiled_training_step():
    source, target = reversal_data(64, seed=4)
    data = ([source, shift_right(target, START_TOKEN)], target)

    def trained(ratio, schedule=None):
        model = Seq2Seq(source_vocab_size=VOCAB, target_vocab_size=VOCAB, units=8, attention="luong", teacher_forcing_ratio=ratio, seed=5)
        model.compile(optimizer="sgd", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        callbacks = [TeacherForcingSchedule(schedule)] if schedule else []
        history = model.fit(*data, epochs=2, batch_size=32, shuffle=False, verbose=0, callbacks=callbacks)
        return model, history

    by_schedule, history = trained(1.0, schedule=lambda epoch: [0.0, 0.0][epoch])
    by_constructor, _ = trained(0.0)
    always_teacher, _ = trained(1.0)
    assert history.history["teacher_forcing_ratio"] == [0.0, 0.0]
    assert by_schedule.teacher_forcing_ratio == 0.0
    assert weights_equal(by_schedule, by_constructor)
    assert not weights_equal(by_schedule, always_teacher)


def test_schedules():
    linear = linear_decay(1.0, 0.2, epochs=4)
    assert [linear(e) for e in range(6)] == pytest.approx([1.0, 0.8, 0.6, 0.4, 0.2, 0.2])
    assert [exponential_decay(0.5, 0.2)(e) for e in range(4)] == pytest.approx([1.0, 0.5, 0.25, 0.2])
    sigmoid = inverse_sigmoid_decay(5.0)
    assert sigmoid(0) == pytest.approx(5 / 6) and sigmoid(50) < 0.001
    with pytest.raises(ValueError, match="start"):
        linear_decay(1.5, 0.0, 3)
    with pytest.raises(ValueError, match="rate"):
        exponential_decay(0.0)
    with pytest.raises(ValueError, match="k must"):
        inverse_sigmoid_decay(0.5)
    with pytest.raises(ValueError, match="schedule"):
        TeacherForcingSchedule(0.5)


def test_seq2seq_same_seed_same_training_and_save_round_trip(tmp_path):
    rng = np.random.default_rng(6)
    encoder_inputs = rng.normal(size=(40, 6, 3)).astype("float32")
    targets = encoder_inputs[:, ::-1][:, :4, :2]  # a reversal in value space
    decoder_inputs = shift_right(targets, 0.0)

    def trained(seed):
        model = Seq2Seq(n_features=3, n_outputs=2, units=8, attention="bahdanau", teacher_forcing_ratio=0.5, seed=seed)
        model.compile(optimizer="adam", loss="mse")
        model.fit([encoder_inputs, decoder_inputs], targets, epochs=2, batch_size=20, shuffle=False, verbose=0)
        return model

    first, second, other = trained(9), trained(9), trained(10)
    assert weights_equal(first, second)
    assert not weights_equal(first, other)
    generated_first, attention_first = first.generate(encoder_inputs[:5], 4)
    generated_second, attention_second = second.generate(encoder_inputs[:5], 4)
    np.testing.assert_array_equal(generated_first, generated_second)
    np.testing.assert_array_equal(attention_first, attention_second)
    path = tmp_path / "seq2seq.keras"
    first.save(path)
    loaded = keras.models.load_model(path)
    assert loaded.get_config() == first.get_config()
    np.testing.assert_allclose(loaded.generate(encoder_inputs[:5], 4)[0], generated_first, rtol=1e-6)


def test_end_token_pads_the_rest():
    source, _ = reversal_data(4, seed=7)
    model = Seq2Seq(source_vocab_size=VOCAB, target_vocab_size=VOCAB, units=4, seed=0)
    generated, _ = model.generate(source, 6, start=START_TOKEN)
    end = int(generated[0, 1])
    padded, _ = model.generate(source, 6, start=START_TOKEN, end_token=end, pad_token=0)
    for row, padded_row in zip(generated, padded):
        hits = np.flatnonzero(row == end)
        cut = hits[0] + 1 if len(hits) else len(row)
        np.testing.assert_array_equal(padded_row[:cut], row[:cut])
        assert np.all(padded_row[cut:] == 0)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(n_outputs=2), "exactly one of n_features"),
        (dict(n_features=3, source_vocab_size=5, n_outputs=2), "exactly one of n_features"),
        (dict(n_features=3), "exactly one of n_outputs"),
        (dict(n_features=3, n_outputs=2, cell="simple"), "cell"),
        (dict(n_features=3, n_outputs=2, attention="additive"), "attention"),
        (dict(n_features=3, n_outputs=2, attention="luong", luong_score="cosine"), "luong_score"),
        (dict(n_features=3, n_outputs=2, units=0), "units"),
        (dict(n_features=3, n_outputs=2, teacher_forcing_ratio=1.5), "teacher_forcing_ratio"),
        (dict(n_features=0, n_outputs=2), "n_features"),
    ],
)
def test_seq2seq_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Seq2Seq(**kwargs)


def test_seq2seq_rejects_bad_inputs():
    values = Seq2Seq(n_features=3, n_outputs=2, units=4, seed=0)
    tokens = Seq2Seq(source_vocab_size=VOCAB, target_vocab_size=VOCAB, units=4, attention="bahdanau", seed=0)
    x = np.zeros((2, 5, 3), "float32")
    with pytest.raises(ValueError, match=r"\(batch, T_in, 3\)"):
        values([np.zeros((2, 5, 4), "float32"), np.zeros((2, 3, 2), "float32")])
    with pytest.raises(ValueError, match=r"\(batch, T_out, 2\)"):
        values([x, np.zeros((2, 3, 1), "float32")])
    with pytest.raises(ValueError, match="list of two"):
        values(x)
    with pytest.raises(ValueError, match="steps"):
        values.generate(x, 0)
    with pytest.raises(ValueError, match="start must broadcast"):
        values.generate(x, 2, start=np.zeros(3))
    with pytest.raises(ValueError, match="no attention"):
        values.attention_weights(x, np.zeros((2, 3, 2)))
    with pytest.raises(ValueError, match="token targets"):
        values.decoding_fn(x[0])
    with pytest.raises(ValueError, match="start must be a token id"):
        tokens.generate(np.ones((2, 5), "int32"), 3)
    with pytest.raises(ValueError, match="one source sequence"):
        tokens.decoding_fn(np.ones((2, 5), "int32"))
    with pytest.raises(ValueError, match="targets must have shape"):
        shift_right(np.zeros(4), 1)
    with pytest.raises(ValueError, match="does not fit"):
        shift_right(np.zeros((2, 4, 3)), np.zeros(2))
    with pytest.raises(ValueError, match="target_indices"):
        start_frame(x, [3])
