using NUnit.Framework;

namespace DataflowNet.Tests;

/// <summary>
/// The recurrent cells and static_rnn against an LSTM, a GRU and a plain RNN written out here in double precision from
/// TensorFlow 1's definitions (BasicLSTMCell: i, j, f, o = split([x, h]·W + b, 4); c' = c·σ(f + forget_bias) +
/// σ(i)·tanh(j); h' = tanh(c')·σ(o)), on both devices.
/// </summary>
public class RnnTests(string device) : DeviceTest(device)
{
    private const int Batch = 2, Depth = 3, Units = 2, Steps = 3;

    private static double[] Values(int n, int seed, double scale = 1)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => scale * (2 * r.NextDouble() - 1)).ToArray();
    }

    private static double Sigmoid(double v) => 1 / (1 + Math.Exp(-v));

    /// <summary>[x, h] · W + b for one batch row: W is [Depth + Units, width] row-major.</summary>
    private static double[] Linear(double[] x, double[] h, double[] w, double[] b, int width)
    {
        var input = x.Concat(h).ToArray();
        return Enumerable.Range(0, width).Select(col => b[col] + input.Select((v, row) => v * w[row * width + col]).Sum()).ToArray();
    }

    /// <summary>The input sequence: step t, batch row r, feature k.</summary>
    private static readonly double[] Sequence = Values(Steps * Batch * Depth, 3);

    private static double[] At(int t, int r) => Sequence.Skip((t * Batch + r) * Depth).Take(Depth).ToArray();

    private (Tensor[] Steps, Tensor[] Inputs) Inputs()
    {
        var x = tf.constant(Sequence.Select(v => (float)v).ToArray(), shape: new TensorShape(Steps, Batch, Depth));
        return (tf.unstack(x, Steps, 0), [x]);
    }

    [Test]
    public void BasicLstmCellMatchesTheLstmEquationsStepByStep()
    {
        var w = Values((Depth + Units) * 4 * Units, 5, 0.6);
        var b = Values(4 * Units, 6, 0.3);
        var cell = tf.contrib.rnn.BasicLSTMCell(Units, forget_bias: 1f);
        var (steps, _) = Inputs();
        var (outputs, state) = tf.contrib.rnn.static_rnn(cell, steps, dtype: tf.float32);
        using var sess = tf.Session();
        sess.run(tf.global_variables_initializer());
        sess.run(cell.kernel!.assign(tf.constant(w.Select(v => (float)v).ToArray(), shape: new TensorShape(Depth + Units, 4 * Units))));
        sess.run(cell.bias!.assign(tf.constant(b.Select(v => (float)v).ToArray())));
        var got = sess.run(outputs.Append(state.c).ToArray());

        var expectedC = new double[Batch][];
        var expectedH = new double[Batch][];
        for (int r = 0; r < Batch; r++) (expectedC[r], expectedH[r]) = (new double[Units], new double[Units]);
        for (int t = 0; t < Steps; t++)
        {
            for (int r = 0; r < Batch; r++)
            {
                var z = Linear(At(t, r), expectedH[r], w, b, 4 * Units);
                for (int u = 0; u < Units; u++)
                {
                    double i = z[u], j = z[Units + u], f = z[2 * Units + u], o = z[3 * Units + u];
                    expectedC[r][u] = expectedC[r][u] * Sigmoid(f + 1) + Sigmoid(i) * Math.Tanh(j);
                    expectedH[r][u] = Math.Tanh(expectedC[r][u]) * Sigmoid(o);
                }
            }
            AssertValue(got[t], expectedH.SelectMany(h => h).Select(v => (float)v).ToArray(), [Batch, Units], 1e-6);
        }
        AssertValue(got[Steps], expectedC.SelectMany(c => c).Select(v => (float)v).ToArray(), [Batch, Units], 1e-6);
    }

    [Test]
    public void BasicRnnCellIsTanhOfTheLinearMapAndItsOutputIsItsState()
    {
        var w = Values((Depth + Units) * Units, 7, 0.8);
        var b = Values(Units, 8, 0.3);
        var cell = tf.nn.rnn_cell.BasicRNNCell(Units);
        var (steps, _) = Inputs();
        var initial = tf.constant(new[,] { { 0.5f, -0.25f }, { 0f, 1f } });
        var (outputs, state) = tf.nn.static_rnn(cell, steps, initial_state: initial);
        using var sess = tf.Session();
        sess.run(tf.global_variables_initializer());
        sess.run(cell.kernel!.assign(tf.constant(w.Select(v => (float)v).ToArray(), shape: new TensorShape(Depth + Units, Units))));
        sess.run(cell.bias!.assign(tf.constant(b.Select(v => (float)v).ToArray())));
        var got = sess.run([.. outputs, state]);
        double[][] h = [[0.5, -0.25], [0, 1]];
        for (int t = 0; t < Steps; t++)
        {
            h = Enumerable.Range(0, Batch).Select(r => Linear(At(t, r), h[r], w, b, Units).Select(Math.Tanh).ToArray()).ToArray();
            AssertValue(got[t], h.SelectMany(v => v).Select(v => (float)v).ToArray(), [Batch, Units], 1e-6);
        }
        Assert.That(got[Steps].ToArray<float>(), Is.EqualTo(got[Steps - 1].ToArray<float>()), "the final state is the last output");
    }

    [Test]
    public void GruCellMatchesTheGruEquationsStepByStep()
    {
        // r, u = σ([x, h]·Wg + bg); c = tanh([x, r·h]·Wc + bc); h' = u·h + (1 − u)·c.
        var wg = Values((Depth + Units) * 2 * Units, 11, 0.7);
        var bg = Values(2 * Units, 12, 0.3);
        var wc = Values((Depth + Units) * Units, 13, 0.7);
        var bc = Values(Units, 14, 0.3);
        var cell = tf.nn.rnn_cell.GRUCell(Units);
        var (steps, _) = Inputs();
        var (outputs, state) = tf.nn.static_rnn(cell, steps, dtype: tf.float32);
        using var sess = tf.Session();
        sess.run(tf.global_variables_initializer());
        var v = cell.trainable_variables;
        Assert.That(v.Select(x => x.name), Is.EqualTo(new[] { "rnn/gru_cell/gates/kernel:0", "rnn/gru_cell/gates/bias:0", "rnn/gru_cell/candidate/kernel:0", "rnn/gru_cell/candidate/bias:0" }));
        AssertValue(sess.run(v[1].value()), Enumerable.Repeat(1f, 2 * Units).ToArray(), [2 * Units]);   // TensorFlow's gate bias start
        float[] F(double[] d) => [.. d.Select(x => (float)x)];
        sess.run(v[0].assign(tf.constant(F(wg), shape: new TensorShape(Depth + Units, 2 * Units))));
        sess.run(v[1].assign(tf.constant(F(bg))));
        sess.run(v[2].assign(tf.constant(F(wc), shape: new TensorShape(Depth + Units, Units))));
        sess.run(v[3].assign(tf.constant(F(bc))));
        var got = sess.run([.. outputs, state]);
        var h = new double[Batch][];
        for (int r = 0; r < Batch; r++) h[r] = new double[Units];
        for (int t = 0; t < Steps; t++)
        {
            for (int row = 0; row < Batch; row++)
            {
                var g = Linear(At(t, row), h[row], wg, bg, 2 * Units).Select(Sigmoid).ToArray();
                var reset = Enumerable.Range(0, Units).Select(k => g[k] * h[row][k]).ToArray();
                var c = Linear(At(t, row), reset, wc, bc, Units).Select(Math.Tanh).ToArray();
                h[row] = Enumerable.Range(0, Units).Select(k => g[Units + k] * h[row][k] + (1 - g[Units + k]) * c[k]).ToArray();
            }
            AssertValue(got[t], F(h.SelectMany(x => x).ToArray()), [Batch, Units], 1e-6);
        }
        Assert.That(got[Steps].ToArray<float>(), Is.EqualTo(got[Steps - 1].ToArray<float>()), "the final state is the last output");
    }

    [Test]
    public void EveryStepSharesTheCellsTwoVariablesNamedAsTensorFlowNamesThem()
    {
        var cell = new BasicLSTMCell(4);
        Assert.That(cell.trainable_variables, Is.Empty, "made by the first call");
        var (steps, _) = Inputs();
        var (outputs, state) = tf.nn.static_rnn(cell, steps, dtype: tf.float32);
        Assert.That(outputs, Has.Length.EqualTo(Steps));
        Assert.That(outputs.Select(o => o.shape.Dims), Is.All.EqualTo(new[] { Batch, 4 }));
        Assert.That(state.c.shape.Dims, Is.EqualTo(new[] { Batch, 4 }));
        var variables = tf.global_variables();
        Assert.That(variables.Select(v => v.name), Is.EqualTo(new[] { "rnn/basic_lstm_cell/kernel:0", "rnn/basic_lstm_cell/bias:0" }));
        Assert.That(variables.Select(v => v.shape.Dims), Is.EqualTo(new[] { new[] { Depth + 4, 16 }, new[] { 16 } }));
        Assert.That(cell.trainable_variables, Is.EqualTo(variables));
    }

    [Test]
    public void BadInputsAreRefusedNamingTheCellAndTheShapes()
    {
        var cell = new BasicLSTMCell(2);
        Assert.Throws<InvalidArgumentException>(() => tf.nn.static_rnn(cell, Array.Empty<Tensor>()), "no time steps");
        var e = Assert.Throws<InvalidArgumentException>(() => tf.nn.static_rnn(cell, [tf.zeros(new TensorShape(2, 3, 4))]));
        Assert.That(e!.Message, Does.Contain("BasicLSTMCell takes inputs [batch, depth] with a known depth").And.Contain("(2, 3, 4)"));
        tf.nn.static_rnn(cell, [tf.zeros(new TensorShape(2, 3))]);
        var again = Assert.Throws<InvalidArgumentException>(() => tf.nn.static_rnn(cell, [tf.zeros(new TensorShape(2, 5))]));
        Assert.That(again!.Message, Does.Contain("was built for inputs of depth 3 (float32)").And.Contain("(2, 5)"));
        Assert.Throws<InvalidArgumentException>(() => new BasicRNNCell(0));
    }

    [Test]
    public void TheGradientThroughEveryStepMatchesCentralDifferences()
    {
        // d(all outputs and the final memory)/d(input sequence), in float64, with the cell's seeded random weights.
        foreach (var kind in new[] { "lstm", "rnn", "gru" })
        {
            bool lstm = kind == "lstm";
            tf.reset_default_graph();
            tf.set_random_seed(4);
            var x = tf.placeholder(tf.float64, new TensorShape(Steps, Batch, Depth), name: "x");
            var steps = tf.unstack(x, Steps, 0);
            Tensor y;
            if (lstm)
            {
                var (outputs, state) = tf.nn.static_rnn(new BasicLSTMCell(Units), steps, dtype: tf.float64);
                y = tf.concat(new TensorLike[] { tf.stack(outputs.Select(o => (TensorLike)o)), tf.expand_dims(state.c, 0) }, 0);
            }
            else if (kind == "rnn") y = tf.stack(tf.nn.static_rnn(new BasicRNNCell(Units), steps, dtype: tf.float64).outputs.Select(o => (TensorLike)o));
            else y = tf.stack(tf.nn.static_rnn(new GRUCell(Units), steps, dtype: tf.float64).outputs.Select(o => (TensorLike)o));
            var error = tf.test.compute_gradient_error(x, x.shape, y, y.shape, Values(Steps * Batch * Depth, 9), 1e-5);
            Assert.That(error, Is.LessThan(1e-7), kind);
        }
    }
}
