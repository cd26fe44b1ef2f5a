using DataflowNet;
using NUnit.Framework;

namespace DataflowNet.Tests.Training;

/// <summary>
/// Each optimizer against TensorFlow 1's update rule computed by hand in C# (double arithmetic, float32
/// hyper-parameters as TensorFlow stores them), for three steps, variable and slots; plus the training plumbing.
/// </summary>
public class OptimizerTests : GraphTest
{
    private static readonly float[] W0 = [1f, -2f, 0.5f, 3f];
    private static readonly float[] C = [0.3f, -0.7f, 1.1f, -2.5f];

    /// <summary>loss = ½·sum(w²) + sum(w·c), so grad = w + c: it changes with every step.</summary>
    private static (Variable w, Tensor loss) Problem()
    {
        var w = tf.Variable(W0, name: "w");
        var loss = 0.5f * tf.reduce_sum(w * w) + tf.reduce_sum(w * tf.constant(C));
        return (w, loss);
    }

    private static double[] Grad(double[] w) => w.Select((v, i) => v + C[i]).ToArray();

    /// <summary>Float32 results against a double reference: within 1e-6 relative (plus 1e-7 absolute for values near 0).</summary>
    private static void AssertClose(TensorValue actual, double[] expected, string what)
    {
        Assert.That(actual.dtype, Is.EqualTo(tf.float32), what + " dtype");
        var a = actual.ToArray<float>();
        Assert.That(a.Length, Is.EqualTo(expected.Length), what + " size");
        for (int i = 0; i < a.Length; i++)
            Assert.That((double)a[i], Is.EqualTo(expected[i]).Within(1e-6 * Math.Abs(expected[i]) + 1e-7), $"{what}[{i}]");
    }

    private static double[] Start() => W0.Select(v => (double)v).ToArray();
    private static double[] Fill(double v) => Enumerable.Repeat(v, W0.Length).ToArray();

    [Test]
    public void GradientDescent()
    {
        var (w, loss) = Problem();
        var train = tf.train.GradientDescentOptimizer(0.1f).minimize(loss);
        using var sess = tf.Session();
        sess.run(tf.global_variables_initializer());
        double lr = 0.1f;
        var ew = Start();
        for (int step = 1; step <= 3; step++)
        {
            sess.run(train);
            var g = Grad(ew);
            for (int i = 0; i < ew.Length; i++) ew[i] -= lr * g[i];
            AssertClose(sess.run(w), ew, $"w after step {step}");
        }
    }

    [Test]
    public void GradientDescentOnALargeVariableIsTheSerialRule()
    {
        // Past 65,536 values the update is split across the cores in chunks; an odd size leaves a partial last chunk.
        const int n = 100_003;
        var r = new Random(3);
        var w0 = Enumerable.Range(0, n).Select(_ => (float)r.NextDouble() - 0.5f).ToArray();
        var c = Enumerable.Range(0, n).Select(_ => (float)r.NextDouble() - 0.5f).ToArray();
        var w = tf.Variable(w0, name: "w");
        var train = tf.train.GradientDescentOptimizer(0.1f).minimize(tf.reduce_sum(w * tf.constant(c)));
        using var sess = tf.Session();
        sess.run(tf.global_variables_initializer());
        var expected = (float[])w0.Clone();
        for (int step = 1; step <= 2; step++)
        {
            sess.run(train);
            // grad = c exactly; the serial kernel's own primitive gives the expected values bit for bit.
            System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(c, -0.1f, expected, expected);
            Assert.That(sess.run(w).ToArray<float>(), Is.EqualTo(expected), $"w after step {step}");
        }
    }

    [TestCase(false)]
    [TestCase(true)]
    public void Momentum(bool nesterov)
    {
        var (w, loss) = Problem();
        var opt = tf.train.MomentumOptimizer(0.1f, 0.9f, use_nesterov: nesterov);
        var train = opt.minimize(loss);
        var accumSlot = opt.get_slot(w, "momentum");
        Assert.That(accumSlot, Is.Not.Null);
        using var sess = tf.Session();
        sess.run(tf.global_variables_initializer());
        double lr = 0.1f, momentum = 0.9f;
        var ew = Start();
        var accum = Fill(0);
        AssertClose(sess.run(accumSlot!), accum, "accum initially");
        for (int step = 1; step <= 3; step++)
        {
            sess.run(train);
            var g = Grad(ew);
            for (int i = 0; i < ew.Length; i++)
            {
                accum[i] = momentum * accum[i] + g[i];
                ew[i] -= nesterov ? lr * g[i] + lr * momentum * accum[i] : lr * accum[i];
            }
            AssertClose(sess.run(w), ew, $"w after step {step}");
            AssertClose(sess.run(accumSlot!), accum, $"accum after step {step}");
        }
    }

    [Test]
    public void Adam()
    {
        var (w, loss) = Problem();
        var opt = tf.train.AdamOptimizer();
        var train = opt.minimize(loss);
        var mSlot = opt.get_slot(w, "m")!;
        var vSlot = opt.get_slot(w, "v")!;
        var beta1Power = tf.global_variables().Single(v => v.name == "beta1_power:0");
        var beta2Power = tf.global_variables().Single(v => v.name == "beta2_power:0");
        using var sess = tf.Session();
        sess.run(tf.global_variables_initializer());
        // TensorFlow 1's defaults, as the float32 values the graph holds.
        double lr = 0.001f, b1 = 0.9f, b2 = 0.999f, eps = 1e-8f;
        float b1p = 0.9f, b2p = 0.999f; // β^t, kept in float32 variables
        var ew = Start();
        var m = Fill(0);
        var v = Fill(0);
        for (int step = 1; step <= 3; step++)
        {
            sess.run(train);
            var g = Grad(ew);
            double lrT = lr * Math.Sqrt(1 - b2p) / (1 - b1p);
            for (int i = 0; i < ew.Length; i++)
            {
                m[i] += (g[i] - m[i]) * (1 - b1);
                v[i] += (g[i] * g[i] - v[i]) * (1 - b2);
                ew[i] -= lrT * m[i] / (Math.Sqrt(v[i]) + eps);
            }
            b1p *= 0.9f;
            b2p *= 0.999f;
            AssertClose(sess.run(w), ew, $"w after step {step}");
            AssertClose(sess.run(mSlot), m, $"m after step {step}");
            AssertClose(sess.run(vSlot), v, $"v after step {step}");
            AssertClose(sess.run(beta1Power), [b1p], $"beta1_power after step {step}");
            AssertClose(sess.run(beta2Power), [b2p], $"beta2_power after step {step}");
        }
    }

    [Test]
    public void Adagrad()
    {
        var (w, loss) = Problem();
        var opt = tf.train.AdagradOptimizer(0.1f);
        var train = opt.minimize(loss);
        var accumSlot = opt.get_slot(w, "accumulator")!;
        using var sess = tf.Session();
        sess.run(tf.global_variables_initializer());
        double lr = 0.1f;
        var ew = Start();
        var accum = Fill(0.1f);
        AssertClose(sess.run(accumSlot), accum, "accum initially");
        for (int step = 1; step <= 3; step++)
        {
            sess.run(train);
            var g = Grad(ew);
            for (int i = 0; i < ew.Length; i++)
            {
                accum[i] += g[i] * g[i];
                ew[i] -= lr * g[i] / Math.Sqrt(accum[i]);
            }
            AssertClose(sess.run(w), ew, $"w after step {step}");
            AssertClose(sess.run(accumSlot), accum, $"accum after step {step}");
        }
    }

    [TestCase(0f)]
    [TestCase(0.5f)]
    public void RMSProp(float momentumValue)
    {
        var (w, loss) = Problem();
        var opt = tf.train.RMSPropOptimizer(0.01f, momentum: momentumValue);
        var train = opt.minimize(loss);
        var msSlot = opt.get_slot(w, "rms")!;
        var momSlot = opt.get_slot(w, "momentum")!;
        using var sess = tf.Session();
        sess.run(tf.global_variables_initializer());
        double lr = 0.01f, decay = 0.9f, momentum = momentumValue, eps = 1e-10f;
        var ew = Start();
        var ms = Fill(1);
        var mom = Fill(0);
        AssertClose(sess.run(msSlot), ms, "ms initially");
        AssertClose(sess.run(momSlot), mom, "mom initially");
        for (int step = 1; step <= 3; step++)
        {
            sess.run(train);
            var g = Grad(ew);
            for (int i = 0; i < ew.Length; i++)
            {
                ms[i] += (g[i] * g[i] - ms[i]) * (1 - decay);
                mom[i] = momentum * mom[i] + lr * g[i] / Math.Sqrt(ms[i] + eps);
                ew[i] -= mom[i];
            }
            AssertClose(sess.run(w), ew, $"w after step {step}");
            AssertClose(sess.run(msSlot), ms, $"ms after step {step}");
            AssertClose(sess.run(momSlot), mom, $"mom after step {step}");
        }
    }

    [Test]
    public void ConstantGradientWithAFloat32LearningRateTensor()
    {
        // loss = sum(w·c): grad = c whatever w is; the learning rate is a float32 tensor (a placeholder).
        var w = tf.Variable(new[] { 1f, 2f, 3f }, name: "w");
        var lr = tf.placeholder(tf.float32, TensorShape.Scalar, name: "lr");
        var train = tf.train.GradientDescentOptimizer(lr).minimize(tf.reduce_sum(w * tf.constant(new[] { 1f, -1f, 0.5f })));
        using var sess = tf.Session();
        sess.run(tf.global_variables_initializer());
        sess.run(train, (lr, 0.5f));
        AssertClose(sess.run(w), [0.5, 2.5, 2.75], "after lr 0.5");
        sess.run(train, (lr, 2f));
        AssertClose(sess.run(w), [-1.5, 4.5, 1.75], "after lr 2");
    }

    // ---------------------------------------------------------------- plumbing

    [Test]
    public void OneRunComputesEveryGradientFromTheSameValues()
    {
        // loss = a·b: grad a = b, grad b = a. Both from the values before the step:
        // a = 2 - 0.1·3 = 1.7, b = 3 - 0.1·2 = 2.8 (updating a first would give b = 3 - 0.17 = 2.83).
        var a = tf.Variable(2f, name: "a");
        var b = tf.Variable(3f, name: "b");
        var train = tf.train.GradientDescentOptimizer(0.1f).minimize(a * b);
        using var sess = tf.Session();
        sess.run(tf.global_variables_initializer());
        sess.run(train);
        AssertClose(sess.run(a), [1.7], "a");
        AssertClose(sess.run(b), [2.8], "b");
        sess.run(train);
        // a = 1.7 - 0.28 = 1.42, b = 2.8 - 0.17 = 2.63
        AssertClose(sess.run(a), [1.42], "a after 2");
        AssertClose(sess.run(b), [2.63], "b after 2");
    }

    [Test]
    public void MomentumUpdatesOfDependentVariablesUseTheSameValues()
    {
        var a = tf.Variable(2f, name: "a");
        var b = tf.Variable(3f, name: "b");
        var train = tf.train.MomentumOptimizer(0.1f, 0.5f).minimize(a * b);
        using var sess = tf.Session();
        sess.run(tf.global_variables_initializer());
        sess.run(train);
        // accum_a = 3, accum_b = 2; a = 1.7, b = 2.8
        sess.run(train);
        // accum_a = 0.5·3 + 2.8 = 4.3, accum_b = 0.5·2 + 1.7 = 2.7; a = 1.7 - 0.43 = 1.27, b = 2.8 - 0.27 = 2.53
        AssertClose(sess.run(a), [1.27], "a");
        AssertClose(sess.run(b), [2.53], "b");
    }

    [Test]
    public void MinimizeWithGlobalStepIncrementsItOncePerRun()
    {
        var (w, loss) = Problem();
        var step = tf.train.get_or_create_global_step();
        Assert.That(step.dtype, Is.EqualTo(tf.int64));
        Assert.That(tf.train.get_or_create_global_step(), Is.SameAs(step));
        var train = tf.train.AdamOptimizer(0.01f).minimize(loss, global_step: step);
        using var sess = tf.Session();
        sess.run(tf.global_variables_initializer());
        Assert.That((long)sess.run(step), Is.EqualTo(0L));
        for (int i = 1; i <= 3; i++)
        {
            sess.run(train);
            Assert.That((long)sess.run(step), Is.EqualTo((long)i));
        }
        Assert.That(tf.trainable_variables(), Does.Not.Contain(step), "global_step is not trainable");
        GC.KeepAlive(w);
    }

    [Test]
    public void SlotVariablesAreGlobalAndInitializedByGlobalVariablesInitializer()
    {
        var (w, loss) = Problem();
        var adam = tf.train.AdamOptimizer();
        var momentum = tf.train.MomentumOptimizer(0.1f, 0.9f);
        var adagrad = tf.train.AdagradOptimizer(0.1f, initial_accumulator_value: 0.25f);
        var rms = tf.train.RMSPropOptimizer(0.1f);
        adam.minimize(loss);
        momentum.minimize(loss);
        adagrad.minimize(loss);
        rms.minimize(loss);

        var slots = new[]
        {
            (adam.get_slot(w, "m")!, 0.0), (adam.get_slot(w, "v")!, 0.0), (momentum.get_slot(w, "momentum")!, 0.0),
            (adagrad.get_slot(w, "accumulator")!, (double)0.25f), (rms.get_slot(w, "rms")!, 1.0), (rms.get_slot(w, "momentum")!, 0.0),
        };
        var globals = tf.global_variables();
        foreach (var (slot, _) in slots)
        {
            Assert.That(globals, Does.Contain(slot), slot.name + " in global_variables");
            Assert.That(slot.trainable, Is.False, slot.name);
            Assert.That(slot.shape.Dims, Is.EqualTo(new[] { 4 }), slot.name);
            Assert.That(slot.name, Does.StartWith("w/"), "slots are named after their variable");
        }
        Assert.That(globals.Select(v => v.name), Does.Contain("beta1_power:0").And.Contain("beta2_power:0"));
        Assert.That(tf.trainable_variables(), Is.EqualTo(new[] { w }), "only w is trainable");

        using var sess = tf.Session();
        sess.run(tf.global_variables_initializer());
        foreach (var (slot, value) in slots) AssertClose(sess.run(slot), Fill(value), slot.name);
        AssertClose(sess.run(globals.Single(v => v.name == "beta1_power:0")), [0.9f], "beta1_power");
        AssertClose(sess.run(globals.Single(v => v.name == "beta2_power:0")), [0.999f], "beta2_power");
    }

    [Test]
    public void ComputeGradientsThenApplyGradients()
    {
        var (w, loss) = Problem();
        var other = tf.Variable(5f, name: "unused");
        var opt = tf.train.GradientDescentOptimizer(0.5f);
        var gv = opt.compute_gradients(loss);
        Assert.That(gv.Select(p => p.var), Is.EqualTo(new[] { w, other }));
        Assert.That(gv[1].grad, Is.Null, "a variable the loss does not use gets a null gradient");
        // Scale the gradient by hand before applying: w -= 0.5 · 2 · (w + c).
        var train = opt.apply_gradients(gv.Select(p => (p.grad is null ? null : p.grad * 2f, p.var)));
        using var sess = tf.Session();
        sess.run(tf.global_variables_initializer());
        sess.run(train);
        AssertClose(sess.run(w), Start().Select((v, i) => v - (v + C[i])).ToArray(), "w");
        AssertClose(sess.run(other), [5], "unused");
    }

    // ---------------------------------------------------------------- schedules

    [TestCase(false)]
    [TestCase(true)]
    public void ExponentialDecay(bool staircase)
    {
        var step = tf.placeholder(tf.int64, TensorShape.Scalar, name: "step");
        var lr = tf.train.exponential_decay(0.1f, step, decay_steps: 3, decay_rate: 0.5f, staircase: staircase);
        using var sess = tf.Session();
        foreach (var s in new long[] { 0, 1, 2, 3, 4, 6, 7, 10 })
        {
            double exponent = staircase ? Math.Floor(s / 3.0) : s / 3.0;
            double expected = (double)0.1f * Math.Pow((double)0.5f, exponent);
            AssertClose(sess.run(lr, (step, s)), [expected], $"step {s}");
        }
    }

    [Test]
    public void ExponentialDecayOnTheGlobalStepFollowsTraining()
    {
        var (w, loss) = Problem();
        var gs = tf.train.get_or_create_global_step();
        var lr = tf.train.exponential_decay(0.1f, gs, decay_steps: 2, decay_rate: 0.5f, staircase: true);
        var train = tf.train.GradientDescentOptimizer(lr).minimize(loss, global_step: gs);
        using var sess = tf.Session();
        sess.run(tf.global_variables_initializer());
        var ew = Start();
        for (int s = 0; s < 4; s++)
        {
            // The step's learning rate uses global_step before the increment: 0.1, 0.1, 0.05, 0.05.
            double rate = (double)0.1f * Math.Pow(0.5, Math.Floor(s / 2.0));
            sess.run(train);
            var g = Grad(ew);
            for (int i = 0; i < ew.Length; i++) ew[i] -= rate * g[i];
            AssertClose(sess.run(w), ew, $"w after step {s + 1}");
        }
    }

    [Test]
    public void PiecewiseConstant()
    {
        var x = tf.placeholder(tf.int32, TensorShape.Scalar, name: "x");
        var v = tf.train.piecewise_constant(x, [5, 10], [1.0f, 0.5f, 0.1f]);
        using var sess = tf.Session();
        foreach (var (at, expected) in new[] { (0, 1.0f), (5, 1.0f), (6, 0.5f), (10, 0.5f), (11, 0.1f), (1000, 0.1f), (-3, 1.0f) })
            AssertValue(sess.run(v, (x, at)), new[] { expected }, []);
    }

    // ---------------------------------------------------------------- clipping and grouping

    [Test]
    public void ClipByValue()
    {
        var t = tf.constant(new[] { -3f, 0.5f, 7f, -1f, 2f });
        AssertValue(Eval(tf.clip_by_value(t, -1f, 2f)), new[] { -1f, 0.5f, 2f, -1f, 2f }, [5]);
    }

    [Test]
    public void ClipByNorm()
    {
        // ‖[3, 4]‖ = 5: clipped to norm 2 → [1.2, 1.6]; a clip norm of 10 leaves it unchanged.
        var t = tf.constant(new[] { 3f, 4f });
        AssertClose(Eval(tf.clip_by_norm(t, 2f)), [1.2, 1.6], "clip 2");
        AssertClose(Eval(tf.clip_by_norm(t, 10f)), [3, 4], "clip 10");
        // Row by row: [3, 4] has norm 5 → [0.6, 0.8]; [0.3, 0.4] has norm 0.5 → unchanged.
        var m = tf.constant(new[,] { { 3f, 4f }, { 0.3f, 0.4f } });
        AssertClose(Eval(tf.clip_by_norm(m, 1f, axes: [1])), [0.6, 0.8, 0.3, 0.4], "rows");
    }

    [Test]
    public void ClipByGlobalNorm()
    {
        // Global norm of [3, 4] and [[12]] = sqrt(9 + 16 + 144) = 13; clip 6.5 halves both.
        var t1 = tf.constant(new[] { 3f, 4f });
        var t2 = tf.constant(new[,] { { 12f } });
        var (clipped, norm) = tf.clip_by_global_norm(new Tensor?[] { t1, null, t2 }, 6.5f);
        Assert.That(clipped, Has.Length.EqualTo(3));
        Assert.That(clipped[1], Is.Null, "a null entry stays null");
        AssertClose(Eval(norm), [13], "global norm");
        AssertClose(Eval(clipped[0]!), [1.5, 2], "t1");
        AssertClose(Eval(clipped[2]!), [6], "t2");
        Assert.That(clipped[2]!.shape.Dims, Is.EqualTo(new[] { 1, 1 }));
        // Under the clip norm: unchanged.
        var (same, _) = tf.clip_by_global_norm(new Tensor?[] { t1, t2 }, 20f);
        AssertClose(Eval(same[0]!), [3, 4], "t1 unclipped");
        AssertClose(Eval(same[1]!), [12], "t2 unclipped");
    }

    [Test]
    public void GroupRunsEveryMember()
    {
        var a = tf.Variable(1f, name: "a");
        var b = tf.Variable(10f, name: "b");
        var both = tf.group(a.assign_add(2f), b.assign(b * 3f).op);
        Assert.That(both.type, Is.EqualTo("NoOp"));
        using var sess = tf.Session();
        sess.run(tf.global_variables_initializer());
        sess.run(both);
        sess.run(both);
        AssertClose(sess.run(a), [5], "a");
        AssertClose(sess.run(b), [90], "b");
    }

    [Test]
    public void AFloat32DecayedRateTrainsAFloat64Variable()
    {
        // exponential_decay builds a float32 rate; TensorFlow's optimizers cast it to the variable's dtype.
        var w = tf.Variable(new[] { 1.0, -2.0 }, name: "w", dtype: tf.float64);
        var step = tf.train.get_or_create_global_step();
        var lr = tf.train.exponential_decay(0.5f, step, 100, 0.5f, staircase: true);
        var train = tf.train.GradientDescentOptimizer(lr).minimize(tf.reduce_sum(w * w), global_step: step);
        using var sess = tf.Session();
        sess.run(tf.global_variables_initializer());
        sess.run(train);
        // w − 0.5 · 2w = 0
        AssertValue(sess.run(w), new[] { 0.0, 0.0 }, [2], 1e-12);
    }

    [Test]
    public void ClipByGlobalNormOfAnInfiniteNormIsNaNEverywhere()
    {
        var a = tf.constant(new[] { 3f, 4f });
        var b = tf.constant(new[] { float.PositiveInfinity, 1f });
        var (clipped, norm) = tf.clip_by_global_norm(new[] { a, b }, 1f);
        var (fine, _) = tf.clip_by_global_norm(new[] { a }, 1f);
        using var sess = tf.Session();
        Assert.That(sess.run(clipped[0]!).ToArray<float>(), Is.All.NaN, "TensorFlow: a blown-up step shows as NaN");
        Assert.That(sess.run(clipped[1]!).ToArray<float>(), Is.All.NaN);
        AssertValue(sess.run(fine[0]!), new[] { 0.6f, 0.8f }, [2], 1e-6);
    }

    [Test]
    public void DropoutRejectsAKeepProbabilityThatKeepsNothingOrAmplifies()
    {
        var x = tf.ones(new TensorShape(4));
        Assert.That(Assert.Throws<InvalidArgumentException>(() => tf.nn.dropout(x, keep_prob: 0f))!.Message,
                    Is.EqualTo("keep_prob must be a scalar tensor or a float in the range (0, 1], got 0"));
        Assert.Throws<InvalidArgumentException>(() => tf.nn.dropout(x, keep_prob: 1.5f));
        Assert.That(Assert.Throws<InvalidArgumentException>(() => tf.nn.dropout(x, rate: 1f))!.Message,
                    Is.EqualTo("rate must be a scalar tensor or a float in the range [0, 1), got 1"));
        AssertValue(Eval(tf.nn.dropout(x, rate: 0f)), new[] { 1f, 1f, 1f, 1f }, [4]);
        // A placeholder (fed 1.0 at test time) is checked by no one but its feeder.
        var kp = tf.placeholder(tf.float32);
        AssertValue(Eval(tf.nn.dropout(x, keep_prob: kp), new FeedDict { [kp] = 1f }), new[] { 1f, 1f, 1f, 1f }, [4]);
    }

    [Test]
    public void SlotsAreNamedAfterTheOptimizerAndInitializeFromTheStaticShape()
    {
        // As TensorFlow: the slot variables are w/<optimizer name>[_1], get_slot takes "m"/"v"/"momentum"…, and a
        // slot's initializer needs no feed even when the variable's initial value is a placeholder.
        var init = tf.placeholder(tf.float32, shape: new[] { 2 });
        var w = tf.Variable(init, name: "w");
        var loss = tf.reduce_sum(w * w);
        var mom = new MomentumOptimizer(0.1f, 0.9f, name: "Mom");
        var adam = new AdamOptimizer(0.1f);
        mom.minimize(loss);
        adam.minimize(loss);
        Assert.That(mom.get_slot(w, "momentum")!.op.name, Is.EqualTo("w/Mom"));
        Assert.That(adam.get_slot(w, "m")!.op.name, Is.EqualTo("w/Adam"));
        Assert.That(adam.get_slot(w, "v")!.op.name, Is.EqualTo("w/Adam_1"));
        Assert.That(adam.get_slot_names(), Is.EqualTo(new[] { "m", "v" }));
        using var sess = tf.Session();
        sess.run(adam.get_slot(w, "v")!.initializer);
        AssertValue(sess.run(adam.get_slot(w, "v")!), new[] { 0f, 0f }, [2]);
    }

    [Test]
    public void MomentumAndRmsPropMoveOnlyTheLookedUpRowsOfAnEmbedding()
    {
        // TensorFlow passes an embedding's gradient as IndexedSlices, and SparseApplyMomentum / SparseApplyRMSProp
        // touch only those rows: a row not looked up keeps its value and its accumulators.
        var emb = tf.Variable(tf.ones(new TensorShape(3, 2)), name: "emb");
        var ids = tf.placeholder(tf.int32, shape: new TensorShape(-1), name: "ids");
        var momentum = tf.train.MomentumOptimizer(0.1f, 0.9f);
        var train = momentum.minimize(tf.reduce_sum(tf.nn.embedding_lookup(emb, ids)));
        using var sess = tf.Session();
        sess.run(tf.global_variables_initializer());
        sess.run(train, (ids, new[] { 0 }));     // row 0: accum 1, value 1 − 0.1 = 0.9
        sess.run(train, (ids, new[] { 1 }));     // row 1 likewise; row 0 stays 0.9 (dense momentum would make it 0.81)
        sess.run(train, (ids, new[] { 0, 0 }));  // row 0 twice: gradient 2, accum 0.9 + 2 = 2.9, value 0.9 − 0.29 = 0.61
        AssertClose(sess.run(emb), [0.61, 0.61, 0.9, 0.9, 1, 1], "values");
        AssertClose(sess.run(momentum.get_slot(emb, "momentum")!), [2.9, 2.9, 1, 1, 0, 0], "accumulators");

        var table = tf.Variable(tf.ones(new TensorShape(3, 2)), name: "table");
        var rms = tf.train.RMSPropOptimizer(0.1f, decay: 0.9f);
        var step = rms.minimize(tf.reduce_sum(tf.nn.embedding_lookup(table, ids)), var_list: [table]);
        sess.run(tf.variables_initializer([table, rms.get_slot(table, "rms")!, rms.get_slot(table, "momentum")!]));
        sess.run(step, (ids, new[] { 0 }));
        sess.run(step, (ids, new[] { 1 }));
        // Each looked-up row: ms = 0.9·1 + 0.1·1 = 1, moved by 0.1/√1; the other rows' ms stay 1 (dense: 0.9, then 0.81).
        AssertClose(sess.run(table), [0.9, 0.9, 0.9, 0.9, 1, 1], "values");
        AssertClose(sess.run(rms.get_slot(table, "rms")!), [1, 1, 1, 1, 1, 1], "mean squares");
    }

    [Test]
    public void ATableLookedUpTwiceStillMovesOnlyTheRowsEitherLookupTouched()
    {
        // TensorFlow concatenates the two lookups' IndexedSlices: the sum stays sparse, rows 0 and 2 here.
        var emb = tf.Variable(tf.ones(new TensorShape(4, 2)), name: "emb");
        var left = tf.placeholder(tf.int32, shape: new TensorShape(-1), name: "left");
        var right = tf.placeholder(tf.int32, shape: new TensorShape(-1), name: "right");
        var loss = tf.reduce_sum(tf.nn.embedding_lookup(emb, left)) + 2f * tf.reduce_sum(tf.nn.embedding_lookup(emb, right));
        var momentum = tf.train.MomentumOptimizer(0.1f, 0.9f);
        var train = momentum.minimize(loss);
        using var sess = tf.Session();
        sess.run(tf.global_variables_initializer());
        sess.run(train, (left, new[] { 0 }), (right, new[] { 2 }));  // row 0: gradient 1, row 2: gradient 2
        sess.run(train, (left, new[] { 1 }), (right, new[] { 1 }));  // row 1: 1 + 2 = 3; rows 0 and 2 keep their values
        // Row 0: accum 1, value 0.9. Row 2: accum 2, value 0.8. Row 1: accum 3, value 0.7. Row 3: never touched.
        // (Dense momentum would move rows 0 and 2 again on the second step: 0.81 and 0.62.)
        AssertClose(sess.run(emb), [0.9, 0.9, 0.7, 0.7, 0.8, 0.8, 1, 1], "values");
        AssertClose(sess.run(momentum.get_slot(emb, "momentum")!), [1, 1, 3, 3, 2, 2, 0, 0], "accumulators");

        // int32 ids in one lookup and int64 in the other: the rows meet as int64, as TensorFlow's IndexedSlices do.
        var table = tf.Variable(tf.ones(new TensorShape(3, 1)), name: "table");
        var ids64 = tf.placeholder(tf.int64, shape: new TensorShape(-1), name: "ids64");
        var rms = tf.train.RMSPropOptimizer(0.1f, decay: 0.9f);
        var step = rms.minimize(tf.reduce_sum(tf.nn.embedding_lookup(table, left)) + tf.reduce_sum(tf.gather(table, ids64)), var_list: [table]);
        sess.run(tf.variables_initializer([table, rms.get_slot(table, "rms")!, rms.get_slot(table, "momentum")!]));
        sess.run(step, (left, new[] { 0 }), (ids64, new[] { 0L }));
        // Row 0: gradient 2, ms = 0.9 + 0.1·4 = 1.3, moved by 0.1·2/√1.3; rows 1 and 2 untouched (ms stays 1).
        AssertClose(sess.run(table), [1 - 0.2 / Math.Sqrt(1.3), 1, 1], "values");
        AssertClose(sess.run(rms.get_slot(table, "rms")!), [1.3, 1, 1], "mean squares");
    }
}
