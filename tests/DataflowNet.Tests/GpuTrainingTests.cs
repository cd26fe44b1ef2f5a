using DataflowNet;
using DataflowNet.Kernels.Gpu;
using NUnit.Framework;

namespace DataflowNet.Tests;

/// <summary>
/// The optimizers' update ops on the GPU device (ILGPU's CPU accelerator): a few training steps give the CPU's
/// variables and slots, with the update op and its variables placed on the GPU.
/// </summary>
public class GpuTrainingTests : GpuTest
{
    private static float[] Data(int n, int seed, float scale = 1f)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => (float)(r.NextDouble() * 2 - 1) * scale).ToArray();
    }

    private static IEnumerable<TestCaseData> Optimizers()
    {
        yield return new TestCaseData("Adam", (Func<Optimizer>)(() => tf.train.AdamOptimizer(0.05f)), "ApplyAdam").SetName("Adam");
        yield return new TestCaseData("Adagrad", (Func<Optimizer>)(() => tf.train.AdagradOptimizer(0.1f)), "ApplyAdagrad").SetName("Adagrad");
        yield return new TestCaseData("RMSProp", (Func<Optimizer>)(() => tf.train.RMSPropOptimizer(0.01f, momentum: 0.5f)), "ApplyRMSProp").SetName("RMSProp");
        yield return new TestCaseData("Momentum", (Func<Optimizer>)(() => tf.train.MomentumOptimizer(0.01f, 0.9f, use_nesterov: true)), "ApplyMomentum").SetName("Momentum Nesterov");
    }

    [TestCaseSource(nameof(Optimizers))]
    public void StepsAgreeWithTheCpu(string name, Func<Optimizer> make, string applyType)
    {
        // A least-squares fit of odd sizes: w [7, 5], b [5].
        var w = tf.Variable(tf.constant(Data(35, 1), shape: new TensorShape(7, 5)), name: "w");
        var b = tf.Variable(tf.constant(Data(5, 2), shape: new TensorShape(5)), name: "b");
        var x = tf.constant(Data(28, 3), shape: new TensorShape(4, 7));
        var target = tf.constant(Data(20, 4), shape: new TensorShape(4, 5));
        var loss = tf.reduce_sum(tf.square(tf.matmul(x, w) + b - target));
        var train = make().minimize(loss);
        var slots = tf.global_variables().Where(v => v.name.StartsWith("w/") || v.name.StartsWith("b/")).ToList();

        var results = new List<float[][]>();
        var previous = Log.Writer;
        var log = new StringWriter();
        foreach (var config in new[] { new ConfigProto(), new ConfigProto { Devices = [Gpu], LogDevicePlacement = true } })
        {
            Log.Writer = log;
            var trace = new List<float[]>();
            try
            {
                using var sess = tf.Session(config: config);
                sess.run(tf.global_variables_initializer());
                for (int step = 0; step < 5; step++)
                {
                    sess.run(train);
                    trace.Add(sess.run(w).ToArray<float>());
                    trace.Add(sess.run(b).ToArray<float>());
                }
                foreach (var s in slots) trace.Add(sess.run(s).ToArray<float>());
            }
            finally { Log.Writer = previous; }
            results.Add(trace.ToArray());
        }
        Assert.That(slots, Is.Not.Empty, "the optimizer's slots");
        for (int i = 0; i < results[0].Length; i++)
            Assert.That(results[1][i], Is.EqualTo(results[0][i]).Within(1e-5), $"{name}: value {i}");
        Assert.That(results[1][^(2 + slots.Count)], Is.Not.EqualTo(Data(35, 1)), "w moved");
        var text = log.ToString();
        Assert.That(text, Does.Contain($"update_w/{applyType}: ({applyType}): /job:localhost/replica:0/task:0/device:GPU:0")
            .And.Contain("w: (VariableV2): /job:localhost/replica:0/task:0/device:GPU:0"));
    }

    /// <summary>ApplyAdam with use_nesterov (no optimizer sets it): the staged var, m and v agree with the CPU's.</summary>
    [Test]
    public void AdamWithNesterovAgreesWithTheCpu()
    {
        var var = tf.Variable(tf.constant(Data(37, 5), shape: new TensorShape(37)), name: "var");
        var m = tf.Variable(tf.constant(Data(37, 6, 0.1f), shape: new TensorShape(37)), name: "m");
        var v = tf.Variable(tf.constant(Data(37, 7).Select(f => f * f).ToArray(), shape: new TensorShape(37)), name: "v");
        var grad = tf.constant(Data(37, 8), shape: new TensorShape(37));
        Tensor S(float f) => tf.constant(f);
        var update = tf.Op("ApplyAdam", [var.Ref, m.Ref, v.Ref, S(0.9f * 0.9f), S(0.999f * 0.999f), S(0.01f), S(0.9f), S(0.999f), S(1e-7f), grad],
                           new() { ["use_nesterov"] = true }, "adam_nesterov");
        var results = new List<float[][]>();
        foreach (var config in new[] { new ConfigProto(), new ConfigProto { Devices = [Gpu] } })
        {
            using var sess = tf.Session(config: config);
            sess.run(tf.global_variables_initializer());
            for (int step = 0; step < 3; step++) sess.run(update);
            results.Add([sess.run(var).ToArray<float>(), sess.run(m).ToArray<float>(), sess.run(v).ToArray<float>()]);
        }
        for (int i = 0; i < 3; i++) Assert.That(results[1][i], Is.EqualTo(results[0][i]).Within(1e-6));
        Assert.That(results[1][0], Is.Not.EqualTo(Data(37, 5)));
    }
}
