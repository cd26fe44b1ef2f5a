using DataflowNet;
using DataflowNet.Kernels.Gpu;
using NUnit.Framework;

namespace DataflowNet.Tests;

/// <summary>
/// Seeded random ops on the GPU device give the CPU's numbers run after run in one session (the device kernels
/// advance the session's Philox stream as the CPU kernels do), and the GPU loss kernels raise the CPU's errors.
/// </summary>
public class GpuRandomAndLossTests : GpuTest
{
    [Test]
    public void SeededRandomOpsGiveTheCpuNumbersRunAfterRun()
    {
        tf.set_random_seed(42);
        var fetches = new IFetchable[]
        {
            tf.random_uniform(new[] { 5, 7 }, seed: 1),
            tf.random_normal(new[] { 33 }, seed: 2),
            tf.truncated_normal(new[] { 3, 67 }, seed: 3),
            tf.random_uniform(new[] { 0 }, seed: 4),
            tf.truncated_normal(new[] { 40_001 }, seed: 5), // several redraw rounds
        };
        var runs = new List<float[][]>();
        var previous = Log.Writer;
        var log = new StringWriter();
        foreach (var config in new[] { new ConfigProto(), OnGpu(log: true) })
        {
            Log.Writer = log;
            try
            {
                using var sess = tf.Session(config: config);
                for (int run = 0; run < 3; run++) runs.Add(sess.run(fetches).Select(v => v!.ToArray<float>()).ToArray());
            }
            finally { Log.Writer = previous; }
        }
        for (int run = 0; run < 3; run++)
        {
            var (cpu, gpu) = (runs[run], runs[3 + run]);
            Assert.That(gpu[0], Is.EqualTo(cpu[0]), $"uniform, run {run}"); // bit for bit
            Assert.That(gpu[3], Is.Empty);
            // The normals: log, sin and cos correctly rounded on the device, the C library's within an ulp of that, so
            // z = r·cos θ within a few ulps, and nearly all bit for bit.
            foreach (var i in new[] { 1, 2, 4 })
            {
                Assert.That(gpu[i], Has.Length.EqualTo(cpu[i].Length));
                for (int j = 0; j < cpu[i].Length; j++)
                    Assert.That(gpu[i][j], Is.EqualTo(cpu[i][j]).Within(4).Ulps, $"fetch {i}, run {run}, element {j}");
                double same = cpu[i].Zip(gpu[i]).Count(p => p.First == p.Second) / (double)cpu[i].Length;
                TestContext.Out.WriteLine($"fetch {i}, run {run}: {same:P2} bit-identical");
                Assert.That(same, Is.GreaterThan(0.9), $"fetch {i}, run {run}: bit-identical fraction");
            }
            Assert.That(gpu[4].All(z => Math.Abs(z) <= 2), Is.True);
        }
        Assert.That(runs[4][0], Is.Not.EqualTo(runs[3][0]), "each run draws fresh numbers");
        Assert.That(log.ToString(), Does.Contain("(RandomUniform): /job:localhost/replica:0/task:0/device:GPU:0")
            .And.Contain("(RandomStandardNormal): /job:localhost/replica:0/task:0/device:GPU:0")
            .And.Contain("(TruncatedNormal): /job:localhost/replica:0/task:0/device:GPU:0"));
    }

    [Test]
    public void SparseCrossEntropyRejectsAnOutOfRangeLabelAsTheCpu()
    {
        var logits = tf.constant(new float[,] { { 1, 2, 3 }, { 1, 1, 1 }, { 0, 0, 0 } });
        var loss = tf.nn.sparse_softmax_cross_entropy_with_logits(labels: tf.constant(new[] { 2, 3, -1 }), logits: logits);
        string Message(ConfigProto config)
        {
            using var sess = tf.Session(config: config);
            return Assert.Throws<InvalidArgumentException>(() => sess.run(loss))!.Message;
        }
        var cpu = Message(new ConfigProto());
        var gpu = Message(OnGpu());
        Assert.That(gpu, Does.Contain("Received a label value of 3 which is outside the valid range of [0, 3). Label values: 2 3 -1"));
        Assert.That(gpu.Split('\n')[0], Is.EqualTo(cpu.Split('\n')[0]));
    }

    [Test]
    public void SparseCrossEntropyWithInt64LabelsOnTheGpu()
    {
        var logits = tf.constant(new float[,] { { 1, 2, 3 }, { 1, 1, 1 } });
        var loss = tf.nn.sparse_softmax_cross_entropy_with_logits(labels: tf.constant(new long[] { 2, 0 }), logits: logits);
        using var sess = tf.Session(config: OnGpu());
        var l = sess.run(loss).ToArray<float>();
        double lse = Math.Log(Math.Exp(1) + Math.Exp(2) + Math.Exp(3));
        Assert.That(l, Is.EqualTo(new[] { (float)(lse - 3), (float)Math.Log(3) }).Within(1e-6));
    }
}
