namespace DataflowNet;

/// <summary>
/// A recurrent cell, as TensorFlow 1's <c>RNNCell</c>: <see cref="call"/> maps an input [batch, depth] and the state
/// to the output and the next state. The variables are made by the first call, under the scope open at that moment and
/// the cell's name (<c>rnn/basic_lstm_cell/kernel</c>, as TensorFlow names them, so checkpoints line up), and every
/// later call (each time step) uses the same ones. Composed of MatMul, BiasAdd, Split and the activations: gradients
/// and both devices come with them.
/// </summary>
public abstract class RNNCell<TState>(int num_units, string name)
{
    /// <summary>The cell's linear maps in the order made: a name within the cell's scope (null: its own kernel and bias) and the pair.</summary>
    private readonly List<(string? Map, Variable Kernel, Variable Bias)> _maps = [];
    private string? _path;

    public int output_size { get; } = num_units > 0 ? num_units : throw new InvalidArgumentException($"An RNN cell needs a positive number of units, got {num_units}.");

    /// <summary>The cell's kernel and bias (BasicRNNCell, BasicLSTMCell), once the first call has made them.</summary>
    public Variable? kernel => _maps.Find(m => m.Map is null).Kernel;
    public Variable? bias => _maps.Find(m => m.Map is null).Bias;

    /// <summary>The cell's variables (empty before the first call), as TensorFlow's <c>cell.trainable_variables</c>.</summary>
    public IReadOnlyList<Variable> trainable_variables => [.. _maps.SelectMany(m => new[] { m.Kernel, m.Bias })];

    /// <summary>The all-zero state for a batch of <paramref name="batch_size"/> (a scalar tensor, or a number).</summary>
    public abstract TState zero_state(TensorLike batch_size, DataType dtype);

    /// <summary>One step: (output, next state), as TensorFlow's <c>cell(inputs, state)</c>.</summary>
    public (Tensor output, TState state) call(Tensor inputs, TState state)
    {
        var s = inputs.shape;
        if (s.IsUnknownRank || s.Rank != 2 || s[1] < 0)
            throw new InvalidArgumentException($"{GetType().Name} takes inputs [batch, depth] with a known depth: {inputs.name} has shape {s}.");
        using var _ = inputs.graph.as_default();
        using var scope = inputs.graph.name_scope(name);
        if (_maps.Count == 0) _path = scope.Path;
        return Step(inputs, state);
    }

    private protected abstract (Tensor, TState) Step(Tensor inputs, TState state);

    /// <summary>
    /// [inputs, h] · kernel + bias, every gate's pre-activation in one product: the cell's map named
    /// <paramref name="map"/> (null: its own kernel and bias), made by its first use (Glorot-uniform kernel
    /// [depth + num_units, <paramref name="width"/>], bias <paramref name="biasStart"/>) and reused by every later step.
    /// </summary>
    private protected Tensor Linear(Tensor inputs, Tensor h, int width, string? map = null, float biasStart = 0f)
    {
        int depth = inputs.shape[1] + output_size;
        var (_, kernel, bias) = _maps.Find(m => m.Map == map);
        if (kernel is null)
        {
            using var sub = map is null ? null : inputs.graph.name_scope(map);
            Tensor initial;
            using (inputs.graph.control_dependencies(null)) initial = tf.layers.GlorotUniform((depth, width), depth, width, inputs.dtype);
            kernel = tf.Variable(initial, name: "kernel");
            using (inputs.graph.control_dependencies(null)) initial = tf.fill(new TensorShape(width), tf.cast(tf.constant(biasStart), inputs.dtype));
            bias = tf.Variable(initial, name: "bias");
            _maps.Add((map, kernel, bias));
        }
        else if (kernel.dtype != inputs.dtype || kernel.shape[0] != depth)
            throw new InvalidArgumentException(
                $"{GetType().Name} '{_path ?? name}' was built for inputs of depth {kernel.shape[0] - output_size} ({kernel.dtype.Name()}); {inputs.name} has shape {inputs.shape} ({inputs.dtype.Name()}).");
        return tf.nn.bias_add(tf.matmul(tf.concat(new TensorLike[] { inputs, h }, 1), kernel), bias);
    }

    private protected Tensor Zeros(TensorLike batch, DataType dtype) =>
        tf.fill(tf.stack([tf.cast(batch.ToTensor(), DataType.Int32), tf.constant(output_size)]), tf.cast(tf.constant(0), dtype));
}

/// <summary>An LSTM cell's state: the memory c and the output h, each [batch, num_units] (TensorFlow's LSTMStateTuple).</summary>
public sealed record LSTMStateTuple(Tensor c, Tensor h);

/// <summary>h' = activation([x, h] · kernel + bias): the plain recurrent cell; its output is its state.</summary>
public sealed class BasicRNNCell(int num_units, Func<Tensor, Tensor>? activation = null, string? name = null)
    : RNNCell<Tensor>(num_units, name ?? "basic_rnn_cell")
{
    public override Tensor zero_state(TensorLike batch_size, DataType dtype) => Zeros(batch_size, dtype);

    private protected override (Tensor, Tensor) Step(Tensor inputs, Tensor state)
    {
        var z = Linear(inputs, state, output_size);
        var h = activation is null ? tf.tanh(z) : activation(z);
        return (h, h);
    }
}

/// <summary>
/// TensorFlow 1's BasicLSTMCell (no peepholes, no projection): i, j, f, o = split([x, h] · kernel + bias, 4);
/// c' = c·σ(f + forget_bias) + σ(i)·activation(j); h' = activation(c')·σ(o). The kernel is [depth + num_units,
/// 4·num_units], Glorot-uniform; the bias starts at zero (forget_bias is added in the step, as TensorFlow does).
/// </summary>
public sealed class BasicLSTMCell(int num_units, float forget_bias = 1f, Func<Tensor, Tensor>? activation = null, string? name = null)
    : RNNCell<LSTMStateTuple>(num_units, name ?? "basic_lstm_cell")
{
    public override LSTMStateTuple zero_state(TensorLike batch_size, DataType dtype) => new(Zeros(batch_size, dtype), Zeros(batch_size, dtype));

    private protected override (Tensor, LSTMStateTuple) Step(Tensor inputs, LSTMStateTuple state)
    {
        Func<Tensor, Tensor> act = activation ?? (x => tf.tanh(x));
        var gates = tf.split(Linear(inputs, state.h, 4 * output_size), 4, axis: 1);
        var (i, j, f, o) = (gates[0], gates[1], gates[2], gates[3]);
        var forget = tf.sigmoid(f + tf.cast(tf.constant(forget_bias), f.dtype));
        var c = state.c * forget + tf.sigmoid(i) * act(j);
        var h = act(c) * tf.sigmoid(o);
        return (h, new LSTMStateTuple(c, h));
    }
}

/// <summary>
/// TensorFlow 1's GRUCell: r, u = split(σ([x, h] · gates/kernel + gates/bias), 2); c = activation([x, r·h] ·
/// candidate/kernel + candidate/bias); h' = u·h + (1 − u)·c. The gates' bias starts at 1 (TensorFlow's default, so a
/// new cell leans towards keeping its state), the candidate's at 0; its output is its state.
/// </summary>
public sealed class GRUCell(int num_units, Func<Tensor, Tensor>? activation = null, string? name = null)
    : RNNCell<Tensor>(num_units, name ?? "gru_cell")
{
    public override Tensor zero_state(TensorLike batch_size, DataType dtype) => Zeros(batch_size, dtype);

    private protected override (Tensor, Tensor) Step(Tensor inputs, Tensor state)
    {
        var gates = tf.split(tf.sigmoid(Linear(inputs, state, 2 * output_size, "gates", biasStart: 1f)), 2, axis: 1);
        var (r, u) = (gates[0], gates[1]);
        var z = Linear(inputs, r * state, output_size, "candidate");
        var c = activation is null ? tf.tanh(z) : activation(z);
        var h = u * state + (tf.cast(tf.constant(1), u.dtype) - u) * c;
        return (h, h);
    }
}

public static partial class tf
{
    public static partial class nn
    {
        /// <summary>TensorFlow 1's <c>tf.nn.rnn_cell</c>: the cells.</summary>
        public static class rnn_cell
        {
            public static BasicRNNCell BasicRNNCell(int num_units, Func<Tensor, Tensor>? activation = null, string? name = null) =>
                new(num_units, activation, name);

            public static BasicLSTMCell BasicLSTMCell(int num_units, float forget_bias = 1f, Func<Tensor, Tensor>? activation = null, string? name = null) =>
                new(num_units, forget_bias, activation, name);

            public static GRUCell GRUCell(int num_units, Func<Tensor, Tensor>? activation = null, string? name = null) =>
                new(num_units, activation, name);
        }

        /// <summary>
        /// Runs <paramref name="cell"/> over a list of time steps (each [batch, depth], as <c>tf.unstack(x, timesteps, 1)</c>
        /// gives them), unrolled in the graph: (the output of every step, the final state). The state starts at
        /// <paramref name="initial_state"/>, or at zero in <paramref name="dtype"/> (the inputs' dtype by default).
        /// </summary>
        public static (Tensor[] outputs, TState state) static_rnn<TState>(RNNCell<TState> cell, IEnumerable<Tensor> inputs, TState? initial_state = default,
                                                                           DataType? dtype = null, string? scope = null)
        {
            ArgumentNullException.ThrowIfNull(cell);
            var steps = inputs?.ToArray() ?? throw new ArgumentNullException(nameof(inputs));
            if (steps.Length == 0) throw new InvalidArgumentException("static_rnn needs at least one time step in inputs.");
            var first = steps[0];
            using var _ = first.graph.as_default();
            using var name = first.graph.name_scope(scope ?? "rnn");
            var state = initial_state ?? cell.zero_state(strided_slice(shape(first), [0], [1], [1], shrink_axis_mask: 1), dtype ?? first.dtype);
            var outputs = new Tensor[steps.Length];
            for (int t = 0; t < steps.Length; t++) (outputs[t], state) = cell.call(steps[t], state);
            return (outputs, state);
        }
    }

    /// <summary>TensorFlow 1's <c>tf.contrib</c>, for the parts tutorials import from it.</summary>
    public static class contrib
    {
        /// <summary><c>from tensorflow.contrib import rnn</c>: the same cells and static_rnn as tf.nn's, under the name tutorials import.</summary>
        public static class rnn
        {
            public static BasicRNNCell BasicRNNCell(int num_units, Func<Tensor, Tensor>? activation = null, string? name = null) =>
                nn.rnn_cell.BasicRNNCell(num_units, activation, name);

            public static BasicLSTMCell BasicLSTMCell(int num_units, float forget_bias = 1f, Func<Tensor, Tensor>? activation = null, string? name = null) =>
                nn.rnn_cell.BasicLSTMCell(num_units, forget_bias, activation, name);

            public static GRUCell GRUCell(int num_units, Func<Tensor, Tensor>? activation = null, string? name = null) =>
                nn.rnn_cell.GRUCell(num_units, activation, name);

            public static (Tensor[] outputs, TState state) static_rnn<TState>(RNNCell<TState> cell, IEnumerable<Tensor> inputs, TState? initial_state = default,
                                                                               DataType? dtype = null, string? scope = null) =>
                nn.static_rnn(cell, inputs, initial_state, dtype, scope);
        }
    }
}
